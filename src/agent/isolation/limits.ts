// Resource limits for everything an agent starts. Node's spawn cannot set rlimits, so the
// agent's command runs through util-linux `prlimit`, which lowers its own limits and execs.
// RLIMIT_NPROC counts per uid, so with one uid per group a fork bomb exhausts only its
// own group's budget.

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
