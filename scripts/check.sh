#!/bin/sh
# The one test command: format, lint, types, then every test under test/ on Node 24.
set -e
cd "$(dirname "$0")/.."
npx prettier --check . --log-level warn
npx eslint .
npx tsc -p tsconfig.json
# Four test files at a time on two cores: the end-to-end files mostly wait on their
# service and fakes (measured: the suite in 215 s at 4 against 260 s at 2, same tree).
exec sh scripts/node.sh --test --test-concurrency=4 --test-timeout=180000 "test/**/*.test.ts"
