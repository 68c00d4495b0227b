#!/bin/sh
# Runs Node 24 whatever node the machine has: the machine's own when it is new
# enough, else the official binary from the npm registry's node-linux-<arch> package,
# cached under .cache/node24 so later runs start at once.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
major() { "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 24 ]; then
  exec node "$@"
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "scripts/node.sh: no Node 24 package for $(uname -m); install Node 24 yourself" >&2; exit 1 ;;
esac
cache="$root/.cache/node24"
bin="$cache/node_modules/node-linux-$arch/bin/node"
if [ ! -x "$bin" ]; then
  echo "scripts/node.sh: fetching Node 24 (node-linux-$arch@24) from the npm registry" >&2
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "node-linux-$arch@24" >&2
fi
exec "$bin" "$@"
