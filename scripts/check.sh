#!/bin/sh
# The one test command: format, lint, types, then every test under test/ on Node 24.
set -e
cd "$(dirname "$0")/.."
npx prettier --check . --log-level warn
npx eslint .
npx tsc -p tsconfig.json
# Four files at a time on two cores: most of an end-to-end file's time is waiting on a service
# or a fake, so the cores stay busy (measured on this 2-core machine: runner 259.8 s at 2,
# 215.3 s at 4, same tree); no test may depend on timing, so the load changes no outcome.
exec sh scripts/node.sh --test --test-concurrency=4 --test-timeout=180000 "test/**/*.test.ts"
