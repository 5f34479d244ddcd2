#!/usr/bin/env bash
# The whole test suite, from a fresh clone: Node 24, dependencies, build, type-check, lint, unit and
# integration tests (real git, real SDK, scripted model), then the end-to-end tests in a real VS Code.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm test
