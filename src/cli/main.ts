// Entry point of the `pincer` command (bin/pincer runs it on Node 24).
import { runCli } from "./run.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
