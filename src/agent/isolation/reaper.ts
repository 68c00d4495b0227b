// Processes an agent leaves behind (background jobs, a fork bomb's children) would keep
// running under its uid after the session ends; they are found in /proc and killed.
import { readdirSync, readFileSync } from "node:fs";

export function processesOf(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // A zombie has already died; it only waits for its parent to collect it.
    if (/^State:\s+Z/m.test(status)) continue;
    const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (real !== undefined && Number(real) === uid) pids.push(Number(entry));
  }
  return pids;
}

/**
 * SIGKILLs every process of `uid`, repeating while new ones appear (a process that forks
 * between the scan and the kill). Returns how many were killed.
 */
export function killProcessesOf(uid: number, rounds = 20): number {
  let killed = 0;
  for (let round = 0; round < rounds; round++) {
    const pids = processesOf(uid);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // already gone
      }
    }
  }
  return killed;
}
