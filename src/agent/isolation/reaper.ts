// Stopping everything an agent's uid runs, so nothing of it survives its session: background
// jobs, a fork bomb's children, and threads whose process leader already exited (the
// leader then shows as a zombie while its threads go on running). The kill comes from a
// child that switched to the uid and calls kill(-1, SIGKILL), which reaches every process
// of that uid, wherever it is in the process tree; then every task (thread) in /proc is
// checked, and the host's own SIGKILL follows for anything still there.
import { readdir, readFile } from "node:fs/promises";
import { runAsAgent, type AgentIdentity } from "./as-agent.ts";

async function statusOf(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined; // exited while we looked
  }
}

function realUid(status: string): number | undefined {
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  return uid === undefined ? undefined : Number(uid);
}

const isZombie = (status: string): boolean => /^State:\s+[ZX]/m.test(status);

/**
 * Processes of `uid` that still run something: a live leader, or a zombie leader with a
 * live thread. A process that has only died and waits to be collected is not counted.
 */
export async function processesOf(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await statusOf(`/proc/${entry}/status`);
    if (status === undefined || realUid(status) !== uid) continue;
    if (!isZombie(status) || (await hasLiveThread(entry))) pids.push(Number(entry));
  }
  return pids;
}

async function hasLiveThread(pid: string): Promise<boolean> {
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  for (const tid of tasks) {
    const status = await statusOf(`/proc/${pid}/task/${tid}/status`);
    if (status !== undefined && !isZombie(status)) return true;
  }
  return false;
}

export class UnstoppableError extends Error {}

const ROUNDS = 50;
const PAUSE_MS = 20;

/**
 * SIGKILLs every process of `identity`'s uid and waits until none is left, threads
 * included. Returns how many processes were found; throws when some survive every round,
 * so the caller can refuse to hand the uid's files to anyone meanwhile.
 */
export async function stopAllOf(identity: AgentIdentity): Promise<number> {
  let found = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const pids = await processesOf(identity.uid);
    if (pids.length === 0) return found;
    if (round === 0) found = pids.length;
    // From inside the uid: one call that reaches all of its processes, even ones that fork
    // between a scan and a kill. Its own shell is the only process kill(-1) spares.
    await runAsAgent(identity, "kill -KILL -1", [], { timeoutMs: 5_000 }).catch(() => undefined);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, round === 0 ? 0 : PAUSE_MS));
  }
  const left = await processesOf(identity.uid);
  if (left.length === 0) return found;
  throw new UnstoppableError(
    `processes of uid ${identity.uid} survive SIGKILL (pids ${left.join(", ")}); not starting anything of it`,
  );
}
