// Start-up failures a person can fix end the real service process with one line that
// names the setting and what to do (no stack trace) and a non-zero status; an admin token
// generated before the failure is kept for the next start.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, startService, tempDir } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const isRoot = process.getuid?.() === 0;

/** Runs the service until it exits; resolves with its status and everything it printed. */
async function runUntilExit(
  env: Record<string, string>,
  prefix: string[] = [],
): Promise<{ code: number | null; output: string }> {
  const argv = [...prefix, process.execPath, join(ROOT, "src/main.ts")];
  const child = spawn(argv[0]!, argv.slice(1), {
    // Not the repository: a developer's .env there must not reach the test.
    cwd: tmpdir(),
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: tmpdir(),
      HOST: "127.0.0.1",
      PORT: "0",
      AGENT_UID_BASE: String(100_000 + Math.floor(Math.random() * 100_000) * 100),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  return { code, output };
}

/** The one fatal line: its message, after checking that nothing looks like a stack trace. */
function fatalLine(output: string): string {
  assert.doesNotMatch(output, /^\s+at /m, `no stack trace:\n${output}`);
  const fatal = output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((record) => record.level >= 60);
  assert.equal(fatal.length, 1, `one fatal line:\n${output}`);
  return fatal[0]!.msg;
}

describe("start-up errors", () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = tempDir();
    dirs.push(made);
    return made;
  };
  after(() => dirs.forEach(removeDir));

  it("port in use: names PORT, exits non-zero, and the generated admin token is kept", async () => {
    const dataDir = dir();
    const taken: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    try {
      const { code, output } = await runUntilExit({ DATA_DIR: dataDir, PORT: String(port) });
      assert.notEqual(code, 0);
      assert.match(
        fatalLine(output),
        new RegExp(`^PORT=${port} is already in use on 127\\.0\\.0\\.1: .*set PORT to a free port`),
      );
      const printed = /Generated an admin token\..*?log in with:\\n\\n {4}(\S+?)\\n/.exec(
        output,
      )?.[1];
      assert.ok(printed, "the generated token was printed before the failure");
      assert.equal(readFileSync(join(dataDir, "admin-token"), "utf8").trim(), printed);

      // The next start, on a free port, takes the same token.
      const service = await startService({ dataDir, env: { ADMIN_TOKEN: "" } });
      try {
        const setup = await fetch(`${service.url}/api/setup`, {
          headers: { authorization: `Bearer ${printed}` },
        });
        assert.equal(setup.status, 200);
      } finally {
        await service.stop();
      }
    } finally {
      taken.close();
    }
  });

  it("DATA_DIR is a file: names DATA_DIR and says to point it at a directory", async () => {
    const file = join(dir(), "not-a-directory");
    writeFileSync(file, "");
    for (const dataDir of [file, join(file, "inside")]) {
      const { code, output } = await runUntilExit({ DATA_DIR: dataDir });
      assert.notEqual(code, 0);
      assert.match(fatalLine(output), /^DATA_DIR=\S+ is a file, .*point DATA_DIR at a directory/);
    }
  });

  it("DATA_DIR is not writable: names DATA_DIR, the user, and what to do", async () => {
    const dataDir = dir();
    chmodSync(dataDir, 0o555);
    // Root writes anywhere: run the service as nobody to meet a directory it cannot write.
    const prefix = isRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const { code, output } = await runUntilExit({ DATA_DIR: dataDir }, prefix);
    assert.notEqual(code, 0);
    assert.match(
      fatalLine(output),
      /^DATA_DIR=\S+ is not writable by the service's user \(uid \d+\): .*Make it writable/,
    );
  });
});
