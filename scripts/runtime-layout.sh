#!/bin/sh
# Rebuilds the Docker image's runtime stage without Docker and boots it, so CI can check
# the image's layout on a machine that has no Docker engine:
#   - the files the Dockerfile's runtime stage copies, read from its
#     `COPY --from=build /app/<path> ./<path>` lines (the one list of what ships);
#   - the production-deps stage's `npm ci --omit=dev`, which must leave out every
#     dev-only package and keep the Claude Code CLI binary;
#   - the image's CMD, as root, DATA_DIR on a fresh directory, PORT set: /readyz must
#     answer 200, then SIGTERM must end the service with status 0.
# `--list` only prints the shipped paths (the Dockerfile test compares them).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dockerfile="$root/Dockerfile"

paths=$(sed -n 's|^COPY --from=build /app/\([^ ]*\) \./\1$|\1|p' "$dockerfile")
if [ "${1:-}" = "--list" ]; then
  echo "$paths"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pincer-runtime.XXXXXX")
app="$work/app"
log="$work/service.log"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "runtime-layout: $*" >&2
  if [ -s "$log" ]; then
    echo "--- service log ---" >&2
    cat "$log" >&2
  fi
  exit 1
}
now() { date +%s; }
# The service is this shell's child, so once it exits it is a zombie until `wait`:
# alive means "has a /proc entry that is not a zombie".
alive() { [ -r "/proc/$pid/stat" ] && [ "$(sed 's/.*) //; s/ .*//' "/proc/$pid/stat")" != Z ]; }

[ "$(id -u)" = 0 ] || fail "run me as root: the image's service runs as root"
[ -n "$paths" ] || fail "no 'COPY --from=build /app/<path> ./<path>' lines in $dockerfile"
node=$(sh "$root/scripts/node.sh" -p process.execPath)
export PATH="$(dirname "$node"):$PATH"

# The runtime stage's files.
mkdir -p "$app" "$work/data" "$work/home" "$work/deps"
for path in $paths; do
  [ -e "$root/$path" ] || fail "the Dockerfile ships $path, which does not exist"
  mkdir -p "$app/$(dirname "$path")"
  cp -R "$root/$path" "$app/$path"
done

# The production-deps stage.
cp "$root/package.json" "$root/package-lock.json" "$work/deps/"
started=$(now)
(cd "$work/deps" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error) \
  || fail "npm ci --omit=dev failed"
echo "runtime-layout: production install took $(($(now) - started))s"
mv "$work/deps/node_modules" "$app/node_modules"

# No dev-only package may ship; the CLI binary must, and must run.
dev_only=$("$node" -e '
  const lock = require(process.argv[1]);
  for (const [key, entry] of Object.entries(lock.packages))
    if (entry.dev && key.split("node_modules/").length === 2) console.log(key);
' "$root/package-lock.json")
for key in $dev_only; do
  [ ! -e "$app/$key" ] || fail "dev-only package $key is in the production install"
done
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "no Claude Code CLI package for $(uname -m)" ;;
esac
cli="$app/node_modules/@anthropic-ai/claude-agent-sdk-linux-$arch/claude"
[ -x "$cli" ] || fail "the Claude Code CLI is missing or not executable: $cli"
version=$("$cli" --version) || fail "the Claude Code CLI does not run: $cli"
echo "runtime-layout: $(echo "$dev_only" | grep -c .) dev-only packages absent; Claude Code CLI $version"

# The image's CMD, e.g. ["node", "src/main.ts"], with this machine's Node 24.
cmd=$(sed -n 's/^CMD \[\(.*\)\]$/\1/p' "$dockerfile" | tr -d '",')
set -- $cmd
[ "${1:-}" = node ] || fail "expected the Dockerfile's CMD to start with node, got: $cmd"
shift
free_port() {
  "$node" -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}
port=$(free_port)
# The model is never called; a port nobody listens on keeps any call on this machine.
dead=$(free_port)
started=$(now)
(cd "$app" && exec env -i PATH="$PATH" HOME="$work/home" NODE_ENV=production \
  DATA_DIR="$work/data" PORT="$port" HOST=127.0.0.1 \
  ANTHROPIC_API_KEY=sk-ant-runtime-layout-0000 ANTHROPIC_BASE_URL="http://127.0.0.1:$dead" \
  "$node" "$@") >"$log" 2>&1 &
pid=$!

"$node" -e '
  const [url, pid] = [process.argv[1], Number(process.argv[2])];
  const deadline = Date.now() + 120_000;
  const alive = () => {
    try { return !/\) Z /.test(require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8")); }
    catch { return false; }
  };
  (async () => {
    while (Date.now() < deadline && alive()) {
      try { if ((await fetch(url)).status === 200) return; } catch {}
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.error(alive() ? "no 200 from " + url + " within 120s" : "the service exited");
    process.exit(1);
  })();
' "http://127.0.0.1:$port/readyz" "$pid" || fail "the service did not become ready"
echo "runtime-layout: /readyz answered 200 $(($(now) - started))s after start"

kill -TERM "$pid"
started=$(now)
while alive && [ $(($(now) - started)) -lt 60 ]; do sleep 0.2; done
if alive; then fail "still running 60s after SIGTERM"; fi
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || fail "exited with status $status after SIGTERM"
echo "runtime-layout: SIGTERM ended the service with status 0 in $(($(now) - started))s"
