// Resource limits for everything an agent starts. Node's spawn cannot set rlimits, so the
// agent's command runs through util-linux `prlimit`, which lowers its own limits and execs.
// RLIMIT_NPROC counts per uid, so with one uid per group a fork bomb exhausts only its
// own group's budget.
import { readFileSync } from "node:fs";

export interface AgentLimits {
  /** Processes and threads of the agent's uid (RLIMIT_NPROC). */
  maxProcesses: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  maxOpenFiles: number;
  /** Largest file a process may write (RLIMIT_FSIZE), in bytes. */
  maxFileBytes: number;
}

export function limitedCommand(
  prlimitPath: string,
  limits: AgentLimits,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  return {
    command: prlimitPath,
    args: [
      `--nproc=${limits.maxProcesses}`,
      `--nofile=${limits.maxOpenFiles}`,
      `--fsize=${limits.maxFileBytes}`,
      // Core dumps of an agent would hold its session token and conversation.
      "--core=0",
      "--",
      command,
      ...args,
    ],
  };
}

/** Hard limits of a process, by the names /proc/<pid>/limits gives them; Infinity = unlimited. */
export interface HardLimits {
  processes: number;
  openFiles: number;
  fileBytes: number;
}

const LIMIT_ROWS: Record<string, keyof HardLimits> = {
  "Max processes": "processes",
  "Max open files": "openFiles",
  "Max file size": "fileBytes",
};

/** The hard limits in the text of /proc/<pid>/limits; a row that is missing is unlimited. */
export function parseHardLimits(text: string): HardLimits {
  const hard: HardLimits = { processes: Infinity, openFiles: Infinity, fileBytes: Infinity };
  for (const line of text.split("\n")) {
    // "Max open files            1024                 4096                 files"
    const match = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    const key = match && LIMIT_ROWS[match[1]!];
    if (!key) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) hard[key] = value;
  }
  return hard;
}

/** The service's own hard limits: an agent inherits them and cannot raise them. */
export function ownHardLimits(): HardLimits {
  try {
    return parseHardLimits(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    return parseHardLimits("");
  }
}

/**
 * The limits lowered to what an agent may set: prlimit runs as the agent's unprivileged
 * uid, which can only lower its hard limits, so asking above the service's own makes every
 * agent fail to start. `lowered` says what changed, naming the setting, or is undefined.
 */
export function clampLimits(
  asked: AgentLimits,
  hard: HardLimits,
): { limits: AgentLimits; lowered: string | undefined } {
  const limits: AgentLimits = {
    maxProcesses: Math.min(asked.maxProcesses, hard.processes),
    maxOpenFiles: Math.min(asked.maxOpenFiles, hard.openFiles),
    maxFileBytes: Math.min(asked.maxFileBytes, hard.fileBytes),
  };
  const changes: string[] = [];
  if (limits.maxProcesses < asked.maxProcesses)
    changes.push(
      `${limits.maxProcesses} processes (AGENT_MAX_PROCESSES asks ${asked.maxProcesses})`,
    );
  if (limits.maxOpenFiles < asked.maxOpenFiles)
    changes.push(
      `${limits.maxOpenFiles} open files (AGENT_MAX_OPEN_FILES asks ${asked.maxOpenFiles})`,
    );
  if (limits.maxFileBytes < asked.maxFileBytes) {
    const mb = (bytes: number) => `${Math.floor(bytes / (1024 * 1024))} MB`;
    changes.push(
      `${mb(limits.maxFileBytes)} per file (AGENT_MAX_FILE_MB asks ${mb(asked.maxFileBytes)})`,
    );
  }
  const lowered =
    changes.length === 0
      ? undefined
      : `Agent limits lowered to the service's own hard limits, which an agent cannot raise: ${changes.join(", ")}. Raise the service's limits (e.g. docker run --ulimit nofile=4096:4096) to give agents more.`;
  return { limits, lowered };
}
