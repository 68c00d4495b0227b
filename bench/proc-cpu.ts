// CPU time used by a process and its descendants, from /proc/<pid>/stat (user + system).
// The kernel counts it in clock ticks of 10 ms (USER_HZ is 100 on Linux), so a figure is
// only good over many messages: the bench reads it around a whole phase.
import { readFileSync } from "node:fs";
import { processTree } from "./proc-memory.ts";

const TICK_MS = 10;

function ownCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return 0;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: the
  // third field of the line is [0] here, so utime (14th) and stime (15th) are [11], [12].
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU milliseconds of each process in `root`'s tree, by pid, as of now. */
export function treeCpuMs(root: number): Map<number, number> {
  return new Map(processTree(root).map((pid) => [pid, ownCpuMs(pid)]));
}

/**
 * CPU per message over a phase, split into the root process (the host) and its
 * descendants (the agent and its children), from two readings of treeCpuMs. A process
 * that started during the phase counts from zero.
 */
export function cpuPerMessage(
  root: number,
  before: Map<number, number>,
  after: Map<number, number>,
  messages: number,
): { host_ms: number; agent_ms: number } {
  let host = 0;
  let agent = 0;
  for (const [pid, ms] of after) {
    const used = ms - (before.get(pid) ?? 0);
    if (pid === root) host += used;
    else agent += used;
  }
  const per = (ms: number) => Math.round((ms / messages) * 100) / 100;
  return { host_ms: per(host), agent_ms: per(agent) };
}
