#!/usr/bin/env bash
# The offline demo (no API key needed): the sample project built by the scripted model in a fresh
# temporary git repository. With ANTHROPIC_API_KEY set, use `node dist/cli.js start "..."` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run demo -- "$@"
