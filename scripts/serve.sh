#!/bin/sh
# Runs the service as deployed: the compiled JavaScript (scripts/build.sh) with a small
# young generation. V8's default semi-spaces let the idle heap keep ~15-30 MB of nursery
# pages resident; 1 MB ones cost a few more scavenges per turn and no measurable latency
# (bench/README.md has the figures). The Dockerfile's CMD and `npm start` both come here.
root=$(cd "$(dirname "$0")/.." && pwd)
exec sh "$root/scripts/node.sh" --max-semi-space-size=1 "$root/dist/main.js" "$@"
