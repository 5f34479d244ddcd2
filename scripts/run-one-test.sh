#!/usr/bin/env bash
# Developer helper: bundle one test file with esbuild and run it with mocha, without compiling the
# whole tree (handy while other parts of the tree are mid-edit). Usage: scripts/run-one-test.sh test/unit/x.test.ts
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
src="$1"; shift || true
out="$here/out/one/$(basename "${src%.ts}").js"
mkdir -p "$(dirname "$out")"
npx esbuild "$src" --bundle --platform=node --format=cjs --target=node22 --sourcemap --outfile="$out" --external:mocha --external:vscode --log-level=warning
npx mocha --no-config --timeout 120000 "$out" "$@"
