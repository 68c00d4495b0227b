// Runs scripts/runtime-layout.sh: the image's runtime stage rebuilt without Docker (the
// shipped files, a production-only install), started as root on a fresh DATA_DIR until
// /readyz answers, then stopped with SIGTERM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const notRoot = process.getuid?.() !== 0;

test(
  "the image's runtime layout installs, boots to /readyz and stops on SIGTERM",
  { skip: notRoot && "needs root, as the image's service runs as root (CI does)" },
  async (t) => {
    const child = spawn("sh", [join(ROOT, "scripts/runtime-layout.sh")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    for (const line of output.split("\n").filter((l) => l.startsWith("runtime-layout:")))
      t.diagnostic(line);
    assert.equal(code, 0, output);
    assert.match(output, /dev-only packages absent; Claude Code CLI \d/);
    assert.match(output, /SIGTERM ended the service with status 0/);
  },
);
