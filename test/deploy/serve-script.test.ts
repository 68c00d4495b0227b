// scripts/serve.sh's choice of allocator, run against a stub node.sh that prints what it
// was given: the real service's maps are checked in the image test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir, removeDir } from "../e2e/harness.ts";

const SERVE = fileURLToPath(new URL("../../scripts/serve.sh", import.meta.url));
const STUB_NODE = `#!/bin/sh
echo "LD_PRELOAD=\${LD_PRELOAD-<unset>}"
echo "MALLOC_CONF=\${MALLOC_CONF-<unset>}"
echo "ARGS=$*"
`;

const jemalloc = readdirSync("/usr/lib", { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name.endsWith("-linux-gnu"))
  .map((entry) => join("/usr/lib", entry.name, "libjemalloc.so.2"))
  .find((path) => existsSync(path));

function serve(env: Record<string, string>): Record<string, string> {
  const root = tempDir("pincer-serve-");
  try {
    mkdirSync(join(root, "scripts"));
    copyFileSync(SERVE, join(root, "scripts", "serve.sh"));
    const stub = join(root, "scripts", "node.sh");
    execFileSync("sh", ["-c", `cat > "$1"`, "sh", stub], { input: STUB_NODE });
    chmodSync(stub, 0o755);
    const output = execFileSync("sh", [join(root, "scripts", "serve.sh")], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      encoding: "utf8",
    });
    const lines = Object.fromEntries(
      output
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    lines.ARGS = lines.ARGS!.replace(root, "<root>");
    return lines;
  } finally {
    removeDir(root);
  }
}

test(
  "the service runs under jemalloc, returning freed memory on a timer, when it is installed",
  { skip: jemalloc ? false : "libjemalloc2 is not installed (.ci/run installs it)" },
  () => {
    assert.deepEqual(serve({}), {
      LD_PRELOAD: jemalloc,
      MALLOC_CONF: "background_thread:true",
      ARGS: "--max-semi-space-size=1 <root>/dist/main.js",
    });
    assert.equal(serve({ MALLOC_CONF: "narenas:2" }).MALLOC_CONF, "narenas:2");
  },
);

test("a set LD_PRELOAD is left alone: empty keeps glibc's malloc", () => {
  assert.deepEqual(serve({ LD_PRELOAD: "" }), {
    LD_PRELOAD: "",
    MALLOC_CONF: "<unset>",
    ARGS: "--max-semi-space-size=1 <root>/dist/main.js",
  });
});
