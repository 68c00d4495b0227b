// Acting as the agent. Whatever the host must do inside a tree an agent can write (create,
// move, delete, measure files) it does through a short child process that runs with the
// agent's own uid and no capabilities: a link or FIFO the agent planted then leads only
// where the agent could go anyway, and a stall blocks that child, never the service.
import { spawn } from "node:child_process";

export interface AgentIdentity {
  uid: number;
  gid: number;
}

export const SETPRIV = "/usr/bin/setpriv";

/** setpriv's arguments that make the rest of the command line run as `identity`. */
export function setprivArgs(identity: AgentIdentity): string[] {
  return [
    `--reuid=${identity.uid}`,
    `--regid=${identity.gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
  ];
}

export interface AsAgentOptions {
  /** Bytes written to the script's stdin. */
  input?: Uint8Array | undefined;
  /** Keep at most this many bytes of stdout (default 1 MiB); the rest is dropped. */
  maxOutputBytes?: number;
  /** Kill the child after this long (default 30 s): a FIFO must not hold a caller forever. */
  timeoutMs?: number;
}

export interface AsAgentResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const STDERR_BYTES = 2048;

/**
 * Runs `script` with /bin/sh as `identity` (as the service's own user when isolation is off,
 * where agents share it anyway), positional arguments `args`. Resolves with its exit code
 * (124 on timeout), stdout (capped) and the start of its stderr.
 */
export function runAsAgent(
  identity: AgentIdentity | undefined,
  script: string,
  args: string[],
  options: AsAgentOptions = {},
): Promise<AsAgentResult> {
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const shell = ["/bin/sh", "-c", script, "sh", ...args];
  const [command, ...commandArgs] = identity
    ? [SETPRIV, ...setprivArgs(identity), ...shell]
    : shell;
  return new Promise((resolve, reject) => {
    const child = spawn(command!, commandArgs, {
      stdio: [options.input ? "pipe" : "ignore", "pipe", "pipe"],
      // Nothing of the host's environment: it may hold secrets.
      env: { PATH: "/usr/bin:/bin", LC_ALL: "C" },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (outBytes >= maxOutput) return;
      out.push(chunk.subarray(0, maxOutput - outBytes));
      outBytes += Math.min(chunk.length, maxOutput - outBytes);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      if (stderr.length < STDERR_BYTES) stderr += chunk.toString("utf8").slice(0, STDERR_BYTES);
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? 124 : (code ?? 1), stdout: Buffer.concat(out), stderr });
    });
    // A child that exits without reading its input must not crash the host with EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.input);
  });
}
