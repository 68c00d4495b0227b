#!/bin/sh
# The one test command: format, lint, types, then every test under test/ on Node 24.
set -e
cd "$(dirname "$0")/.."
npx prettier --check . --log-level warn
npx eslint .
npx tsc -p tsconfig.json
exec sh scripts/node.sh --test --test-concurrency=2 --test-timeout=180000 "test/**/*.test.ts"
