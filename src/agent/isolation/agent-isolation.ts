// Per-group OS isolation. When the service runs as root, each group's agent (and every
// process it starts: Bash, pre-scripts, the browser) runs as a Unix uid of its own, so the
// kernel keeps it out of the store, the admin token, channel auth state, other groups'
// folders and the host's /proc entries. Not root: agents run as the service's user, and
// only their working directories keep them apart; that is said once, plainly.
import { existsSync, readFileSync } from "node:fs";
import type { Db } from "../../store/db.ts";
import { assignAgentUid, type Group } from "../../store/groups.ts";
import type { Logger } from "../../log.ts";
import { agentHome, globalMemoryDir, groupDir, type Paths } from "../memory.ts";
import { limitedCommand, type AgentLimits } from "./limits.ts";
import { adoptTree, secureDataDir, untraversableAncestors } from "./ownership.ts";
import { killProcessesOf } from "./reaper.ts";
import type { AgentIdentity } from "./as-agent.ts";

export type { AgentIdentity } from "./as-agent.ts";

export type IsolationStatus =
  { kind: "users"; detail: string } | { kind: "directory"; detail: string };

export interface IsolationOptions {
  db: Db;
  paths: Paths;
  /** "auto": own uids when root; "off": never. */
  setting: "auto" | "off";
  uidBase: number;
  limits: AgentLimits;
  logger: Logger;
  /** Overrides for tests: whether we are root, and where prlimit lives. */
  isRoot?: boolean;
  prlimitPath?: string;
}

/** A group's claim on its uid while something of it runs; the last release reaps leftovers. */
export interface AgentLease {
  identity: AgentIdentity | undefined;
  release(): void;
}

const PRLIMIT_CANDIDATES = ["/usr/bin/prlimit", "/bin/prlimit"];

function systemUids(): Set<number> {
  try {
    return new Set(
      readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .map((line) => Number(line.split(":")[2]))
        .filter((uid) => Number.isInteger(uid)),
    );
  } catch {
    return new Set();
  }
}

export class AgentIsolation {
  readonly status: IsolationStatus;
  private readonly options: IsolationOptions;
  private readonly prlimitPath: string | undefined;
  private readonly leases = new Map<number, number>();

  constructor(options: IsolationOptions) {
    this.options = options;
    this.prlimitPath = options.prlimitPath ?? PRLIMIT_CANDIDATES.find((path) => existsSync(path));
    this.status = this.decide();
    const log = options.logger.child({ component: "isolation" });
    if (this.status.kind === "users") {
      secureDataDir(options.paths);
      log.info(this.status.detail);
      if (readSysctl("fs/protected_hardlinks") === "0") {
        log.warn(
          "fs.protected_hardlinks is 0: agents could hard-link files they cannot read into their folders; Pincer never hands such files to them, but consider enabling it",
        );
      }
    } else {
      log.warn(this.status.detail);
    }
  }

  get enabled(): boolean {
    return this.status.kind === "users";
  }

  private decide(): IsolationStatus {
    const { options } = this;
    const isRoot = options.isRoot ?? process.getuid?.() === 0;
    if (options.setting === "off") {
      return {
        kind: "directory",
        detail:
          "Agent isolation is directory-only (AGENT_ISOLATION=off): agents run as the service's own user and could read its files.",
      };
    }
    if (!isRoot) {
      return {
        kind: "directory",
        detail:
          "Agent isolation is directory-only: the service is not running as root, so agents run as its own user and could read its files. Run as root (the Docker image does) for one Unix user per group.",
      };
    }
    if (!this.prlimitPath) {
      return {
        kind: "directory",
        detail:
          "Agent isolation is directory-only: prlimit (util-linux) was not found, so agents cannot be given resource limits.",
      };
    }
    const blocked = untraversableAncestors(options.paths.dataDir);
    if (blocked.length > 0) {
      return {
        kind: "directory",
        detail: `Agent isolation is directory-only: agents' users cannot reach DATA_DIR because ${blocked.join(", ")} is not traversable by others (chmod o+x it).`,
      };
    }
    const { limits } = options;
    return {
      kind: "users",
      detail: `Agents run as one Unix user per group (uids from ${options.uidBase}), limited to ${limits.maxProcesses} processes, ${limits.maxOpenFiles} open files and ${Math.round(limits.maxFileBytes / 1e6)} MB per file.`,
    };
  }

  /** The uid and gid the group's agent runs as, or undefined when isolation is off. */
  identityFor(group: Group): AgentIdentity | undefined {
    if (!this.enabled) return undefined;
    const taken = systemUids();
    const uid = assignAgentUid(this.options.db, group.id, this.options.uidBase, (candidate) =>
      taken.has(candidate),
    );
    return { uid, gid: uid };
  }

  /**
   * Claims the group's uid for one agent process (a session, a pre-script). `prepare`
   * creates the group's files; it runs, as do the ownership fixes, only while no process of
   * the group's uid is alive (after killing anything an earlier run left), so nothing can
   * race a walk through the agent's tree.
   */
  acquire(group: Group, prepare: () => void): AgentLease {
    const identity = this.identityFor(group);
    if (!identity) {
      prepare();
      return { identity, release: () => undefined };
    }
    const held = this.leases.get(identity.uid) ?? 0;
    if (held === 0) {
      killProcessesOf(identity.uid);
      prepare();
      const { paths } = this.options;
      adoptTree(groupDir(paths, group.folder), identity.uid, identity.gid, 0o700);
      adoptTree(agentHome(paths, group.folder), identity.uid, identity.gid, 0o700);
      // The main chat keeps the memory every chat shares; others may read it.
      if (group.isMain) adoptTree(globalMemoryDir(paths), identity.uid, identity.gid, 0o755);
    }
    this.leases.set(identity.uid, held + 1);
    let released = false;
    return {
      identity,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.leases.get(identity.uid) ?? 1) - 1;
        if (left > 0) {
          this.leases.set(identity.uid, left);
          return;
        }
        this.leases.delete(identity.uid);
        const killed = killProcessesOf(identity.uid);
        if (killed > 0) {
          this.options.logger.info(
            { group: group.folder, killed },
            "killed processes the agent left running",
          );
        }
      },
    };
  }

  /** The command to spawn for an agent process: under prlimit when isolation is on. */
  command(command: string, args: string[]): { command: string; args: string[] } {
    if (!this.enabled || !this.prlimitPath) return { command, args };
    return limitedCommand(this.prlimitPath, this.options.limits, command, args);
  }
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, "utf8").trim();
  } catch {
    return undefined;
  }
}
