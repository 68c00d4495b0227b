#!/bin/sh
# Runs the service as deployed: the compiled JavaScript (scripts/build.sh) with a small
# young generation. V8's default semi-spaces let the idle heap keep ~15-30 MB of nursery
# pages resident; 1 MB ones cost a few more scavenges per turn and no measurable latency
# (bench/README.md has the figures). The Dockerfile's CMD and `npm start` both come here.
root=$(cd "$(dirname "$0")/.." && pwd)

# jemalloc instead of glibc's malloc where it is installed (the image has libjemalloc2):
# glibc kept what the service freed, so its RSS crept up through a 30-minute soak and sat
# ~20 MB above jemalloc's, which hands memory back (bench/README.md, Soak). The background
# thread returns it on a timer, also while the service idles. A set LD_PRELOAD is left as
# it is: `LD_PRELOAD=` (empty) keeps glibc's malloc. Only the service gets it: agents,
# browsers and tools are started with environments of their own.
if [ -z "${LD_PRELOAD+set}" ]; then
  for lib in /usr/lib/*-linux-gnu/libjemalloc.so.2; do
    if [ -f "$lib" ]; then
      export LD_PRELOAD="$lib"
      export MALLOC_CONF="${MALLOC_CONF:-background_thread:true}"
      break
    fi
  done
fi

exec sh "$root/scripts/node.sh" --max-semi-space-size=1 "$root/dist/main.js" "$@"
