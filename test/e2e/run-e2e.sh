#!/usr/bin/env bash
# End-to-end tests: the packaged extension in a real VS Code (code-server), driven through its UI by
# playwright-core in Debian's chromium. Builds dist/, packages the .vsix (esbuild bundles every
# dependency, hence --no-dependencies), bundles the suites and runs them with mocha.
# Without code-server: skips with a message outside CI; in CI (CI set) installs it and runs.
# Screenshots and logs: .test-artifacts/e2e/. Extra arguments go to mocha (e.g. --grep smoke).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
source scripts/ensure-node.sh

CACHE="${BP_TOOLS_CACHE:-$HOME/.cache/build-pipeline-tools}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
cs_dir="$CACHE/code-server-$CODE_SERVER_VERSION"
code_server="$cs_dir/node_modules/.bin/code-server"

if [ ! -f "$cs_dir/.installed-ok" ] || [ ! -x "$code_server" ]; then
  if [ -n "${CI:-}" ]; then
    echo "e2e: code-server $CODE_SERVER_VERSION not installed; CI is set, installing it" >&2
    bash .ci/install-code-server.sh
  else
    echo "e2e: SKIPPED — code-server $CODE_SERVER_VERSION is not installed (run .ci/install-code-server.sh; in CI it is installed automatically)." >&2
    exit 0
  fi
fi
[ -x /usr/bin/chromium ] || [ -n "${BP_CHROMIUM:-}" ] || { echo "e2e: /usr/bin/chromium missing (run .ci/install-code-server.sh)" >&2; exit 1; }
[ -d node_modules/playwright-core ] || { echo "e2e: playwright-core missing: run npm ci" >&2; exit 1; }

artifacts="$root/.test-artifacts/e2e"
rm -rf "$artifacts"
mkdir -p "$artifacts"
start=$(date +%s)

if [ -n "${BP_E2E_SKIP_BUILD:-}" ] && [ -f dist/extension.js ]; then
  echo "e2e: BP_E2E_SKIP_BUILD set: packaging the existing dist/" >&2
else
  echo "e2e: building the extension" >&2
  npm run build >&2
fi
echo "e2e: packaging the extension" >&2
npx vsce package --no-dependencies --out "$artifacts/build-pipeline.vsix" >&2

echo "e2e: bundling the suites" >&2
out="$root/out/e2e"
rm -rf "$out"
mkdir -p "$out"
for f in test/e2e/*.test.ts; do
  npx esbuild "$f" --bundle --platform=node --format=cjs --target=node22 --sourcemap \
    --outfile="$out/$(basename "${f%.ts}").js" --external:mocha --external:playwright-core --log-level=warning
done

export BP_CODE_SERVER="$code_server" BP_VSIX="$artifacts/build-pipeline.vsix" BP_E2E_ARTIFACTS="$artifacts"
set +e
npx mocha --no-config --timeout 600000 --reporter spec "$out"/*.test.js "$@"
status=$?
set -e
echo "e2e: finished in $(( $(date +%s) - start ))s (exit $status); screenshots in $artifacts" >&2
exit $status
