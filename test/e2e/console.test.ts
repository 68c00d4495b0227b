// The service's console as a person in a terminal sees it (run under script(1), which gives
// it a pseudo-terminal): readable lines instead of JSON, the first start's block with the URL
// and the admin token, and on the next start one line saying where the token is. The runs
// stop themselves on a port that is taken, so no service is left behind.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, tempDir } from "./harness.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const skip = existsSync("/usr/bin/script") ? false : "no script(1) (util-linux) for a terminal";

async function runInTerminal(env: Record<string, string>): Promise<string> {
  const command = `exec ${process.execPath} ${join(ROOT, "src/main.ts")}`;
  const child = spawn("/usr/bin/script", ["-qfec", command, "/dev/null"], {
    // Not the repository: a developer's .env there must not reach the test.
    cwd: env.DATA_DIR!,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: env.DATA_DIR!,
      HOST: "127.0.0.1",
      TZ: "Asia/Tokyo",
      NO_COLOR: "1",
      AGENT_UID_BASE: String(100_000 + Math.floor(Math.random() * 100_000) * 100),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await new Promise((resolve) => child.once("close", resolve));
  return output.replace(/\r\n/g, "\n");
}

describe("console in a terminal", { skip }, () => {
  const dataDir = tempDir();
  let taken: Server;
  after(() => {
    taken?.close();
    removeDir(dataDir);
  });

  it("prints readable lines and, on first start, a block with the URL and the token", async () => {
    taken = createServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
    );
    const output = await runInTerminal({ DATA_DIR: dataDir, PORT: String(port) });
    assert.doesNotMatch(output, /^\{"level"/m, `no JSON lines:\n${output}`);
    const token = readFileSync(join(dataDir, "admin-token"), "utf8").trim();
    assert.match(
      output,
      new RegExp(
        `┌─+\\n│ Generated an admin token\\. Open http://127\\.0\\.0\\.1:${port} and log in with:\\n│ \\n│ {5}${token}\\n`,
      ),
    );
    assert.match(output, /│ The token is kept in .*admin-token; `pincer token` prints it again\./);
    assert.match(output, /^\d\d:\d\d:\d\d FATAL PORT=\d+ is already in use/m, output);

    const again = await runInTerminal({ DATA_DIR: dataDir, PORT: String(port) });
    assert.ok(!again.includes(token), `the token is not printed again:\n${again}`);
    assert.match(
      again,
      /^\d\d:\d\d:\d\d INFO {2}The admin token is in .*admin-token: `pincer token` prints it\.$/m,
    );
  });
});
