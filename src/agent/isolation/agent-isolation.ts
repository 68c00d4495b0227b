// Per-group OS isolation. When the service runs as root, each group's agent (and every
// process it starts: Bash, pre-scripts, the browser) runs as a Unix uid of its own, so the
// kernel keeps it out of the store, the admin token, channel auth state, other groups'
// folders and the host's /proc entries. Not root: agents run as the service's user, and
// only their working directories keep them apart; that is said once, plainly.
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Db } from "../../store/db.ts";
import { assignAgentUid, assignMcpUid, uidsOfGroup, type Group } from "../../store/groups.ts";
import type { Logger } from "../../log.ts";
import { agentHome, groupDir, mcpHome, type Paths } from "../../data-layout.ts";
import { limitedCommand, type AgentLimits } from "./limits.ts";
import { secureDataDir, untraversableAncestors } from "./ownership.ts";
import { stopAllOf } from "./reaper.ts";
import { openTreeDir, ownTree } from "./tree-fs.ts";
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
  /**
   * Settles once nothing an earlier holder left of the uid is running, the group's folder
   * and home are its own, and `prepare` has run; rejects if that could not be made so.
   */
  ready: Promise<void>;
  release(): void;
}

/** Creates what one user of a lease needs in the group's tree; runs as the agent. */
export type Prepare = (identity: AgentIdentity | undefined) => Promise<void>;

const PRLIMIT_CANDIDATES = ["/usr/bin/prlimit", "/bin/prlimit"];
const TREE_MODE = 0o700;
const ROOT = { uid: 0, gid: 0 };

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
  private readonly log: Logger;
  /** Per uid: how many hold it, and the start every holder waits for. */
  private readonly holders = new Map<number, { count: number; started: Promise<void> }>();
  /** Per uid: the reaping after its last release, which a new start waits for. */
  private readonly reaping = new Map<number, Promise<void>>();

  constructor(options: IsolationOptions) {
    this.options = options;
    this.prlimitPath = options.prlimitPath ?? PRLIMIT_CANDIDATES.find((path) => existsSync(path));
    this.status = this.decide();
    this.log = options.logger.child({ component: "isolation" });
    if (this.status.kind === "users") {
      secureDataDir(options.paths);
      this.log.info(this.status.detail);
      if (readSysctl("fs/protected_hardlinks") === "0") {
        this.log.warn(
          "fs.protected_hardlinks is 0: agents could hard-link files they cannot read into their folders; Pincer never hands such files to them, but consider enabling it",
        );
      }
    } else {
      this.log.warn(this.status.detail);
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

  /** The uid and gid of the group's stdio MCP servers: a user of their own, not the agent's. */
  mcpIdentityFor(group: Group): AgentIdentity | undefined {
    if (!this.enabled) return undefined;
    const taken = systemUids();
    const uid = assignMcpUid(this.options.db, group.id, this.options.uidBase, (candidate) =>
      taken.has(candidate),
    );
    return { uid, gid: uid };
  }

  /**
   * The group's folder and agent home exist and belong to its user. Both sit in folders
   * only the host writes, so they are made by name; a tree that is not the user's yet (a
   * restore, isolation newly on) is handed over through descriptors, never followed links.
   */
  async ensureTrees(
    group: Group,
    identity: AgentIdentity | undefined = this.identityFor(group),
  ): Promise<void> {
    const { paths } = this.options;
    for (const dir of [groupDir(paths, group.folder), agentHome(paths, group.folder)]) {
      const changed = await this.ensureOwnDir(dir, identity);
      if (changed > 0)
        this.log.info(
          { group: group.folder, uid: identity?.uid, files: changed },
          "handed the group's files to its user",
        );
    }
  }

  /**
   * `dir`, in a folder only the host writes, exists (0700) and is `identity`'s; returns how
   * many files had to be handed over (through descriptors).
   */
  async ensureOwnDir(dir: string, identity: AgentIdentity | undefined): Promise<number> {
    await mkdir(dir, { recursive: true, mode: TREE_MODE });
    if (!identity || (await ownedBy(dir, identity))) return 0;
    return (await ownTree(dir, identity, TREE_MODE)).length;
  }

  /**
   * Claims the group's uid for one agent process (a session, a pre-script, a browser).
   * The first claim stops whatever an earlier one left running, so every start begins
   * from a uid with no process; `prepare` then runs as the agent for this claim.
   */
  acquire(group: Group, prepare: Prepare): AgentLease {
    const identity = this.identityFor(group);
    if (!identity) {
      const ready = this.ensureTrees(group, identity).then(() => prepare(undefined));
      return { identity, ready, release: () => undefined };
    }
    let holder = this.holders.get(identity.uid);
    if (!holder) {
      const reaped = this.reaping.get(identity.uid) ?? Promise.resolve();
      holder = {
        count: 0,
        started: reaped.then(async () => {
          await stopAllOf(identity);
          await this.ensureTrees(group, identity);
        }),
      };
      this.holders.set(identity.uid, holder);
    }
    holder.count++;
    const claim = holder;
    const ready = claim.started.then(() => prepare(identity));
    let released = false;
    return {
      identity,
      ready,
      release: () => {
        if (released) return;
        released = true;
        claim.count--;
        if (claim.count > 0) return;
        if (this.holders.get(identity.uid) === claim) this.holders.delete(identity.uid);
        const reap = this.reap(group, identity, claim.started);
        this.reaping.set(identity.uid, reap);
        void reap.then(() => {
          if (this.reaping.get(identity.uid) === reap) this.reaping.delete(identity.uid);
        });
      },
    };
  }

  private async reap(group: Group, identity: AgentIdentity, started: Promise<void>): Promise<void> {
    await started.catch(() => undefined);
    try {
      const killed = await stopAllOf(identity);
      if (killed > 0)
        this.log.info({ group: group.folder, killed }, "killed processes the agent left running");
    } catch (error) {
      this.log.error({ group: group.folder, err: (error as Error).message }, "could not reap");
    }
  }

  /**
   * An unregistered group's user goes away for good: its processes are stopped and its
   * kept folder and home are handed back to root, so no uid owns them any more (uids are
   * never reused, and this leaves nothing for a later one to inherit either).
   */
  async retire(group: Group): Promise<void> {
    if (!this.enabled || group.agentUid === null) return;
    // The agent's uid and its MCP servers' one: neither may keep anything running.
    const uids = new Set([group.agentUid, ...uidsOfGroup(this.options.db, group.id)]);
    for (const uid of uids) {
      await (this.reaping.get(uid) ?? Promise.resolve());
      await stopAllOf({ uid, gid: uid });
    }
    const { paths } = this.options;
    const trees = [
      groupDir(paths, group.folder),
      agentHome(paths, group.folder),
      mcpHome(paths, group.folder),
    ];
    for (const dir of trees) {
      await ownTree(dir, ROOT, TREE_MODE).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      });
    }
    this.log.info({ group: group.folder, uids: [...uids] }, "retired the group's users");
  }

  /** The command to spawn for an agent process: under prlimit when isolation is on. */
  command(command: string, args: string[]): { command: string; args: string[] } {
    if (!this.enabled || !this.prlimitPath) return { command, args };
    return limitedCommand(this.prlimitPath, this.options.limits, command, args);
  }
}

/** Whether the directory `dir` (never a link) belongs to `identity`. */
async function ownedBy(dir: string, identity: AgentIdentity): Promise<boolean> {
  const handle = await openTreeDir(dir);
  try {
    const stat = await handle.stat();
    return stat.uid === identity.uid && stat.gid === identity.gid;
  } finally {
    await handle.close();
  }
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, "utf8").trim();
  } catch {
    return undefined;
  }
}
