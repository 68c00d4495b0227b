// Memory figures read from /proc: a process's resident set (VmRSS) and, for agents, the
// proportional set size (Pss from smaps_rollup) of a process and all its descendants,
// which splits shared pages (the CLI binary, libraries) fairly between processes, and the
// private part (pages only that process maps).
import { readFileSync, readdirSync } from "node:fs";

const MB = 1024;

function kbField(text: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The allocator the service was started with: scripts/serve.sh preloads jemalloc where it
 * is installed, unless LD_PRELOAD is set. `LD_PRELOAD= npm run bench` passes that empty
 * value on, so glibc's malloc can be measured the same way.
 */
export function allocatorEnv(): Record<string, string> {
  const preload = process.env.LD_PRELOAD;
  return preload === undefined ? {} : { LD_PRELOAD: preload };
}

/** Which malloc a running process uses, read from its mappings. */
export function allocatorOf(pid: number): "jemalloc" | "glibc" | undefined {
  const maps = readProc(pid, "maps");
  if (maps === undefined) return undefined;
  return /\/libjemalloc\.so/.test(maps) ? "jemalloc" : "glibc";
}

/** Resident set size in MB, or undefined when the process is gone. */
export function rssMb(pid: number): number | undefined {
  const status = readProc(pid, "status");
  const kb = status === undefined ? undefined : kbField(status, "VmRSS");
  return kb === undefined ? undefined : kb / MB;
}

function parentOf(pid: number): number | undefined {
  const stat = readProc(pid, "stat");
  // The command name may hold spaces and parentheses; the fields after its last ')' do not.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields?.[1] === undefined ? undefined : Number(fields[1]);
}

/** The process and every live descendant of it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (readProc(pid, "stat") === undefined) continue;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export interface ProcessMemory {
  pid: number;
  command: string;
  pssMb: number;
  /** Pages no other process maps: what ending this process would give back. */
  privateMb: number;
  rssMb: number;
}

export interface TreeMemory {
  pssMb: number;
  privateMb: number;
  rssMb: number;
  processes: ProcessMemory[];
}

/** PSS and RSS of a process and its descendants, summed and per process. */
export function treeMemory(root: number): TreeMemory {
  const processes: ProcessMemory[] = [];
  for (const pid of processTree(root)) {
    const rollup = readProc(pid, "smaps_rollup");
    if (rollup === undefined) continue;
    processes.push({
      pid,
      command: (readProc(pid, "comm") ?? "?").trim(),
      pssMb: (kbField(rollup, "Pss") ?? 0) / MB,
      privateMb:
        ((kbField(rollup, "Private_Clean") ?? 0) + (kbField(rollup, "Private_Dirty") ?? 0)) / MB,
      rssMb: (kbField(rollup, "Rss") ?? 0) / MB,
    });
  }
  return {
    pssMb: processes.reduce((sum, p) => sum + p.pssMb, 0),
    privateMb: processes.reduce((sum, p) => sum + p.privateMb, 0),
    rssMb: processes.reduce((sum, p) => sum + p.rssMb, 0),
    processes,
  };
}
