#!/bin/sh
# Compiles src/ to dist/ (same layout, relative imports rewritten to .js) for the service to
# run as plain JavaScript: Node's type stripping keeps its WebAssembly compiler resident,
# about 28 MB of the idle service's memory (bench/README.md). The web assets are copied
# alongside; ../skills resolves from dist/ as it does from src/.
set -e
cd "$(dirname "$0")/.."
rm -rf dist
npx tsc -p tsconfig.build.json
cp -R src/web/assets dist/web/assets
