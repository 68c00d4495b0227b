// Starts bench/bare-loop.ts as a child process, the way the harness starts the service,
// and hands it back as a harness Service so the same client code talks to both.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tempDir, waitFor, type Service } from "../test/e2e/harness.ts";

const SCRIPT = fileURLToPath(new URL("./bare-loop.ts", import.meta.url));

export async function startBareLoop(
  modelUrl: string,
  env: Record<string, string> = {},
): Promise<Service> {
  const dataDir = tempDir("pincer-bench-bare-");
  const child = spawn(process.execPath, [SCRIPT], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dataDir,
      BENCH_MODEL_URL: modelUrl,
      BENCH_WORK_DIR: dataDir,
      BENCH_BARE_EXTRA_TOOLS: process.env.BENCH_BARE_EXTRA_TOOLS ?? "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const port = await waitFor(() => {
    if (child.exitCode !== null)
      throw new Error(`bare loop exited with ${child.exitCode}:\n${output}`);
    return /"port":(\d+)/.exec(output)?.[1];
  }, "the bare loop to listen");
  return {
    url: `http://127.0.0.1:${port}`,
    token: "unused",
    dataDir,
    child,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}
