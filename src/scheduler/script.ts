// The pre-script gate: a task may carry a shell script that runs before the agent is woken
// and decides whether waking it is worth a model call ("tell me only if the page changed").
// Its last non-empty stdout line must be {"wakeAgent": false} or {"wakeAgent": true, "data": …}.
import { spawn } from "node:child_process";

export interface PreScriptOptions {
  cwd: string;
  /** The script's whole environment; nothing of the host's environment is passed on. */
  env: Record<string, string>;
  timeoutMs: number;
  uid?: number | undefined;
  gid?: number | undefined;
  /** Puts the shell under resource limits when the group runs as its own user. */
  wrapCommand?: (command: string, args: string[]) => { command: string; args: string[] };
  /** Only the last this-many bytes of stdout are kept (default 64 KiB). */
  maxOutputBytes?: number;
}

export type PreScriptErrorReason = "spawn" | "exit" | "timeout" | "invalid_output";

export type PreScriptResult =
  | { outcome: "skip" }
  | { outcome: "wake"; data: unknown }
  | { outcome: "error"; reason: PreScriptErrorReason; message: string };

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
const STDERR_TAIL_BYTES = 2048;

/** Keeps the last `limit` bytes of a stream and whether anything was dropped. */
class Tail {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size > this.#limit * 2) this.#compact();
  }

  #compact(): void {
    const all = Buffer.concat(this.#chunks);
    if (all.length > this.#limit) this.truncated = true;
    const kept = all.subarray(Math.max(0, all.length - this.#limit));
    this.#chunks = [kept];
    this.#size = kept.length;
  }

  text(): string {
    this.#compact();
    return this.#chunks[0]?.toString("utf8") ?? "";
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // The group is already gone.
  }
}

function interpret(stdout: Tail, maxBytes: number): PreScriptResult {
  const text = stdout.text();
  const lines = text.split("\n").filter((line) => line.trim().length > 0);
  const last = lines.at(-1)?.trim();
  const limitNote = stdout.truncated ? ` (stdout exceeded ${maxBytes} bytes and was cut)` : "";
  const invalid = (message: string): PreScriptResult => ({
    outcome: "error",
    reason: "invalid_output",
    message:
      `Pre-script output is invalid: ${message}${limitNote}. Its last line must be ` +
      `{"wakeAgent": false} or {"wakeAgent": true, "data": ...}.`,
  });
  if (last === undefined) return invalid("it printed nothing");
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    return invalid(`the last line is not JSON: ${JSON.stringify(last.slice(0, 200))}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return invalid("the last line is not a JSON object");
  }
  const { wakeAgent, data } = parsed as { wakeAgent?: unknown; data?: unknown };
  if (typeof wakeAgent !== "boolean") return invalid('"wakeAgent" is missing or not a boolean');
  return wakeAgent ? { outcome: "wake", data } : { outcome: "skip" };
}

/** Runs `script` with /bin/sh -c and reads its verdict; never throws. */
export function runPreScript(script: string, options: PreScriptOptions): Promise<PreScriptResult> {
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve) => {
    const stdout = new Tail(maxBytes);
    const stderr = new Tail(STDERR_TAIL_BYTES);
    let settled = false;
    const settle = (result: PreScriptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // Its own process group, so a timeout kills whatever the script started too.
    const { command, args } = options.wrapCommand?.("/bin/sh", ["-c", script]) ?? {
      command: "/bin/sh",
      args: ["-c", script],
    };
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      uid: options.uid,
      gid: options.gid,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => {
      killGroup(child.pid);
      settle({
        outcome: "error",
        reason: "timeout",
        message: `Pre-script timed out after ${options.timeoutMs} ms and was killed.`,
      });
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      settle({
        outcome: "error",
        reason: "spawn",
        message: `Pre-script could not be started: ${error.message}`,
      });
    });
    child.on("close", (code, signal) => {
      if (code === 0) {
        settle(interpret(stdout, maxBytes));
        return;
      }
      const errText = stderr.text().trim();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      settle({
        outcome: "error",
        reason: "exit",
        message: `Pre-script ${how}${errText ? `: ${errText}` : " (no stderr output)"}`,
      });
    });
  });
}
