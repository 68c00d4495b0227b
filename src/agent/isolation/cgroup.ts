// Memory and CPU bounds per agent. Unix users and rlimits bound an agent's processes, open
// files and file sizes, but not its memory or CPU: only a cgroup can, and only when cgroup
// v2 is delegated to the service (its own cgroup writable, with the memory and cpu
// controllers available). Pincer does not place agents in cgroups yet; this tells whether
// the platform would allow it, so the owner reads plainly that agents have no such bound
// and why.
import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";

export type CgroupDelegation =
  { delegated: true; dir: string } | { delegated: false; reason: string };

export interface CgroupProbe {
  /** Where the cgroup v2 hierarchy is mounted. */
  root?: string;
  /** /proc/self/cgroup and /proc/self/mountinfo, for tests. */
  selfCgroupFile?: string;
  mountInfoFile?: string;
  /** Whether the service may write `path`, for tests. */
  writable?: (path: string) => boolean;
}

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Whether the service could give each agent a cgroup with memory and CPU limits. */
export function detectCgroupDelegation(probe: CgroupProbe = {}): CgroupDelegation {
  const root = probe.root ?? "/sys/fs/cgroup";
  const writable = probe.writable ?? canWrite;
  const mounts = read(probe.mountInfoFile ?? "/proc/self/mountinfo") ?? "";
  // mountinfo: "<id> <parent> <dev> <root> <mount point> <options> [tags] - <type> …"
  const type = mounts
    .split("\n")
    .map((line) => line.split(" "))
    .filter((fields) => fields[4] === root)
    .map((fields) => fields[fields.indexOf("-") + 1])
    .at(-1);
  if (type !== "cgroup2")
    return {
      delegated: false,
      reason: `${root} is ${type ? `${type}, not cgroup2` : "not mounted"}: the machine uses cgroup v1 or none`,
    };
  const own = /^0::(\/.*)$/m.exec(read(probe.selfCgroupFile ?? "/proc/self/cgroup") ?? "")?.[1];
  if (own === undefined)
    return { delegated: false, reason: "the service is not in a cgroup v2 group" };
  const dir = join(root, own);
  const controllers = (read(join(dir, "cgroup.controllers")) ?? "").trim().split(/\s+/);
  const missing = ["memory", "cpu"].filter((name) => !controllers.includes(name));
  if (missing.length > 0)
    return {
      delegated: false,
      reason: `the ${missing.join(" and ")} controller${missing.length > 1 ? "s are" : " is"} not available in ${dir}`,
    };
  if (!writable(dir) || !writable(join(dir, "cgroup.subtree_control")))
    return { delegated: false, reason: `the service's cgroup ${dir} is not writable by it` };
  return { delegated: true, dir };
}

/** What the log and the setup page say about memory and CPU bounds per agent. */
export function agentLimitsStatement(delegation: CgroupDelegation): string {
  return delegation.delegated
    ? `No memory or CPU limit per agent: cgroup v2 is delegated to the service (${delegation.dir}), but Pincer does not place agents in cgroups yet.`
    : `No memory or CPU limit per agent: cgroup v2 is not delegated to the service (${delegation.reason}).`;
}
