#!/usr/bin/env bash
# End-to-end tests: the packaged extension in a real VS Code (code-server), driven through its UI by
# playwright-core in Debian's chromium. Builds dist/, packages the .vsix (esbuild bundles every
# dependency, hence --no-dependencies), bundles the suites and runs them with mocha.
# Installs what it needs on first use (code-server, chromium, Node 24; cached under
# ~/.cache/build-pipeline-tools by .ci/install-code-server.sh, a no-op once done). The only way to
# skip is to say so: BP_E2E_SKIP=1, and then it prints that the e2e tests did NOT run.
# Screenshots and logs: .test-artifacts/e2e/. Extra arguments go to mocha (e.g. --grep smoke).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
source scripts/ensure-node.sh

CACHE="${BP_TOOLS_CACHE:-$HOME/.cache/build-pipeline-tools}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
cs_dir="$CACHE/code-server-$CODE_SERVER_VERSION"
code_server="$cs_dir/node_modules/.bin/code-server"

if [ -n "${BP_E2E_SKIP:-}" ]; then
  # Loud on purpose: a green line after this must not be read as "the extension works in VS Code".
  {
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!! e2e: SKIPPED because BP_E2E_SKIP=$BP_E2E_SKIP is set."
    echo "!! The end-to-end tests (the packaged extension in a real VS Code) did NOT run."
    echo "!! Unset BP_E2E_SKIP to run them (code-server is installed on first use)."
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  } >&2
  exit 0
fi

if [ ! -f "$cs_dir/.installed-ok" ] || [ ! -x "$code_server" ] || { [ ! -x /usr/bin/chromium ] && [ -z "${BP_CHROMIUM:-}" ]; }; then
  echo "e2e: code-server $CODE_SERVER_VERSION or chromium missing; installing them (several minutes the first time, cached in $CACHE)" >&2
  bash .ci/install-code-server.sh
fi
[ -x /usr/bin/chromium ] || [ -n "${BP_CHROMIUM:-}" ] || { echo "e2e: /usr/bin/chromium missing after the install (see .ci/install-code-server.sh)" >&2; exit 1; }
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
