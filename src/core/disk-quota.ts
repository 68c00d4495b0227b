// Per-group disk quota and attachment retention. Anyone in a chat can send attachments and
// an agent can write what it likes into its own folder: unbounded, one group fills the disk
// for all. A group's files (its folder and its agent's home) are measured as its agent
// after a session ends and every hour, never per message, and the cached size decides:
// over its quota, the group's new attachments are not saved (the agent sees why in the
// attachment's note) and the chat is told once. Attachments older than the retention are
// deleted daily and at start, and so are the copies of files agents sent to the web chat
// (outbound-retention.ts).
import type { AgentIsolation } from "../agent/isolation/agent-isolation.ts";
import type { AgentIdentity } from "../agent/isolation/as-agent.ts";
import { measureTrees, pruneAttachments } from "../agent/isolation/disk-usage.ts";
import { agentHome, groupDir, outboundFilesDir, type Paths } from "../data-layout.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import { getGroup, listGroups, type Group } from "../store/groups.ts";
import { pruneSentFiles } from "./outbound-retention.ts";

export interface DiskQuotaOptions {
  db: Db;
  paths: Paths;
  /** GROUP_DISK_QUOTA_MB in bytes; 0: no quota. */
  quotaBytes: number;
  /** ATTACHMENT_RETENTION_DAYS, for attachments and sent files' copies; 0: both are kept. */
  retentionDays: number;
  /** Whose uid each group's agent has; measuring holds a lease on it like any agent process. */
  isolation: Pick<AgentIsolation, "acquire">;
  /** Tells a chat something (the orchestrator's notify). */
  notify(group: Group, text: string): void;
  logger: Logger;
  /** For tests: how trees are measured and pruned. */
  measure?: typeof measureTrees;
  prune?: typeof pruneAttachments;
  /** For tests: the clock the sent files' ages are read against. */
  now?: () => number;
}

const MEASURE_EVERY_MS = 60 * 60_000;
const RETAIN_EVERY_MS = 24 * 60 * 60_000;

/** 1073741824 → "1 GB", 52428800 → "50 MB". */
export function sizeText(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  return mb >= 1024 ? `${Number((mb / 1024).toFixed(1))} GB` : `${Math.round(mb)} MB`;
}

/** The note an attachment gets when its group is over its quota. */
export function overQuotaNote(quotaBytes: number): string {
  return `not saved: this chat's folder is over its ${sizeText(quotaBytes)} quota`;
}

export class DiskQuota {
  private readonly options: DiskQuotaOptions;
  private readonly measure: typeof measureTrees;
  private readonly prune: typeof pruneAttachments;
  /** Bytes each group's files took when last measured. */
  private readonly usage = new Map<number, number>();
  /** Groups over their quota (and told so). */
  private readonly over = new Set<number>();
  private readonly measuring = new Map<number, Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(options: DiskQuotaOptions) {
    this.options = options;
    this.measure = options.measure ?? measureTrees;
    this.prune = options.prune ?? pruneAttachments;
  }

  /** Retention now and daily, measurement hourly (and after each session, see measureGroup). */
  start(): void {
    void this.retain();
    this.timers.push(
      setInterval(() => void this.retain(), RETAIN_EVERY_MS),
      setInterval(() => void this.measureAll(), MEASURE_EVERY_MS),
    );
    for (const timer of this.timers) timer.unref();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }

  /** The note a new attachment of the group gets instead of being saved, if any. */
  attachmentRefusal(group: Group): string | undefined {
    return this.over.has(group.id) ? overQuotaNote(this.options.quotaBytes) : undefined;
  }

  /** The setup page's warnings: one per group over its quota. */
  warnings(): string[] {
    return [...this.over].flatMap((groupId) => {
      const group = getGroup(this.options.db, groupId);
      if (!group) return [];
      return [
        `The chat "${group.name}" (folder ${group.folder}) takes ${sizeText(this.usage.get(groupId) ?? 0)}, over its ${sizeText(this.options.quotaBytes)} quota (GROUP_DISK_QUOTA_MB): its new attachments are not saved until files in its folder are removed.`,
      ];
    });
  }

  /** Measures one group's files as its agent; calls while one runs share it. */
  measureGroup(groupId: number): Promise<void> {
    let running = this.measuring.get(groupId);
    if (!running) {
      running = this.measureNow(groupId).finally(() => this.measuring.delete(groupId));
      this.measuring.set(groupId, running);
    }
    return running;
  }

  async measureAll(): Promise<void> {
    for (const group of listGroups(this.options.db)) await this.measureGroup(group.id);
  }

  /**
   * Deletes the sent files' copies and every group's attachments older than the retention,
   * then measures again.
   */
  async retain(): Promise<void> {
    const { retentionDays, paths, logger } = this.options;
    await this.retainSentFiles();
    for (const group of listGroups(this.options.db)) {
      if (retentionDays > 0) {
        const deleted = await this.asAgent(group, (identity) =>
          this.prune(identity, groupDir(paths, group.folder), retentionDays),
        ).catch((error: unknown) => {
          logger.warn({ group: group.folder, err: String(error) }, "attachment retention failed");
          return undefined;
        });
        if (deleted)
          logger.info(
            { group: group.folder, deleted, days: retentionDays },
            "deleted attachments older than the retention",
          );
      }
      await this.measureGroup(group.id);
    }
  }

  private async retainSentFiles(): Promise<void> {
    const { db, paths, retentionDays, logger } = this.options;
    const pruned = await pruneSentFiles({
      db,
      filesDir: outboundFilesDir(paths),
      retentionDays,
      now: (this.options.now ?? Date.now)(),
    }).catch((error: unknown) => {
      logger.warn({ err: String(error) }, "sent file retention failed");
      return undefined;
    });
    if (pruned && pruned.expired + pruned.orphans > 0)
      logger.info(
        { ...pruned, days: retentionDays },
        "deleted sent files older than the retention",
      );
  }

  private async measureNow(groupId: number): Promise<void> {
    const { db, paths, logger } = this.options;
    const group = getGroup(db, groupId);
    if (!group) {
      this.usage.delete(groupId);
      this.over.delete(groupId);
      return;
    }
    const dirs = [groupDir(paths, group.folder), agentHome(paths, group.folder)];
    const bytes = await this.asAgent(group, (identity) => this.measure(identity, dirs)).catch(
      (error: unknown) => {
        logger.warn({ group: group.folder, err: String(error) }, "could not measure disk use");
        return undefined;
      },
    );
    if (bytes === undefined) return;
    this.usage.set(groupId, bytes);
    this.decide(group, bytes);
  }

  /**
   * Runs `task` as the group's agent (identity undefined: the service's own user), holding
   * the uid's lease so that reaping its processes never stops the task midway, nor the task
   * outlive a reap.
   */
  private async asAgent<T>(
    group: Group,
    task: (identity: AgentIdentity | undefined) => Promise<T>,
  ): Promise<T> {
    const lease = this.options.isolation.acquire(group, async () => undefined);
    try {
      await lease.ready;
      return await task(lease.identity);
    } finally {
      lease.release();
    }
  }

  private decide(group: Group, bytes: number): void {
    const { quotaBytes, logger } = this.options;
    const over = quotaBytes > 0 && bytes > quotaBytes;
    if (over === this.over.has(group.id)) return;
    if (!over) {
      this.over.delete(group.id);
      logger.info({ group: group.folder, bytes }, "the chat's files are within its quota again");
      return;
    }
    this.over.add(group.id);
    logger.warn(
      { group: group.folder, bytes, quotaBytes },
      "the chat's files are over its disk quota: new attachments are not saved",
    );
    this.options.notify(
      group,
      `This chat's files take ${sizeText(bytes)}, over its ${sizeText(quotaBytes)} quota: new attachments are not saved until some files are removed.`,
    );
  }
}
