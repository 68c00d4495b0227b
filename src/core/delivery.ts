// Sends outbox rows through their channels. Each chat's replies go out one at a time and
// in order; a transient failure is retried with exponential backoff (or when the platform
// says), a permanent one marks the row failed, visibly. Nothing here polls: a send is
// tried when it is enqueued, and a retry is a timer armed for that one row.
// A chat's reaction and typing changes wait until its queued replies are out, never the
// other way round: a reply is the one thing the person is waiting for, and a platform's
// slow or rate-limited reaction call must not sit between the model's answer and the post.
import { EventEmitter } from "node:events";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Channel } from "../channels/channel.ts";
import { TransientSendError } from "../channels/channel.ts";
import type { Db } from "../store/db.ts";
import {
  enqueueDelivery,
  getDelivery,
  markFailed,
  markRetry,
  markSent,
  pendingDeliveries,
  type OutboxItem,
} from "../store/outbox.ts";
import { insertOutbound, setPlatformIds } from "../store/messages.ts";
import { insertOutboundFile, markCopyRemoved } from "../store/outbound-files.ts";
import {
  claimPreview,
  deletePreview,
  getPreview,
  previewOfDelivery,
  type Preview,
} from "../store/previews.ts";
import { isDiskFull, transaction } from "../store/db.ts";
import type { Logger } from "../log.ts";
import { backoffMs } from "../time/backoff.ts";
import type { DiskSpace } from "./disk-space.ts";
import type { TakenFile } from "./send-file.ts";

export interface DeliveryOptions {
  db: Db;
  channels: Map<string, Channel>;
  logger: Logger;
  assistantName: string;
  /** Where the host's copies of sent files are (data-layout's outboundFilesDir). */
  filesDir: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Told when a delivery record cannot be written for lack of space. */
  disk?: DiskSpace;
}

export interface Reply {
  channel: string;
  chatId: string;
  threadId?: string | undefined;
  /** The text, or a file's caption (may be empty then). */
  text: string;
  /** A file an agent sent, already copied into `filesDir` under `stored`. */
  file?: TakenFile | undefined;
  /** The last inbound message id the producing turn had read. */
  turnThrough?: number | undefined;
  /** A preview (store/previews.ts) this reply replaces: it is edited instead of a new send. */
  previewId?: number | undefined;
}

const chatKey = (channel: string, chatId: string): string => `${channel}\u0000${chatId}`;

export class Delivery extends EventEmitter<{ delivered: [OutboxItem]; failed: [OutboxItem] }> {
  private readonly options: Required<Omit<DeliveryOptions, "disk">>;
  private readonly disk: DiskSpace | undefined;
  private readonly chains = new Map<string, Promise<void>>();
  /** Per chat, the reaction and typing changes waiting for its replies, in call order. */
  private readonly signals = new Map<string, Promise<void>>();
  /** Pending retry waits, each with the function that ends it early. */
  private readonly sleepers = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;
  private draining = false;
  /** Each preview's send or edit in flight: the final text is written only after it. */
  private readonly previewWork = new Map<number, Promise<unknown>>();

  constructor(options: DeliveryOptions) {
    super();
    this.options = { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 5 * 60_000, ...options };
    this.disk = options.disk;
  }

  /** Writes a reply and its outbox row in one transaction, then starts sending it. */
  enqueue(reply: Reply): number {
    const { db } = this.options;
    const now = Date.now();
    const outboxId = transaction(db, () => {
      const messageId = insertOutbound(db, {
        channel: reply.channel,
        chatId: reply.chatId,
        threadId: reply.threadId,
        senderName: this.options.assistantName,
        text: reply.text,
        timestamp: now,
        turnThrough: reply.turnThrough,
      });
      if (reply.file) insertOutboundFile(db, { ...reply.file, messageId });
      const outboxId = enqueueDelivery(
        db,
        { messageId, channel: reply.channel, chatId: reply.chatId, threadId: reply.threadId },
        now,
      );
      if (reply.previewId !== undefined) claimPreview(db, reply.previewId, outboxId);
      return outboxId;
    });
    this.schedule(outboxId, reply.channel, reply.chatId);
    return outboxId;
  }

  /**
   * Runs a preview's send or edit (live-replies.ts); the delivery that replaces the preview
   * waits for it, so a late partial text never lands over the final one.
   */
  previewCall<T>(previewId: number, call: () => Promise<T>): Promise<T> {
    const work = (this.previewWork.get(previewId) ?? Promise.resolve()).then(call, call);
    const settled = work.catch(() => undefined);
    this.previewWork.set(previewId, settled);
    void settled.then(() => {
      if (this.previewWork.get(previewId) === settled) this.previewWork.delete(previewId);
    });
    return work;
  }

  /**
   * Runs `send` once the chat's queued replies have gone out, and holds later ones until it
   * is done: a question (ask_user) never overtakes the text the agent wrote before it.
   */
  inOrder<T>(channel: string, chatId: string, send: () => Promise<T>): Promise<T> {
    const key = chatKey(channel, chatId);
    const result = (this.chains.get(key) ?? Promise.resolve()).then(send);
    const next = result.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return result;
  }

  /**
   * Starts a chat's reaction or typing change once the chat has no reply left to send (or
   * to retry): one queued while the change waits goes first too. Changes start in the
   * order they were asked for;
   * none waits for an earlier one to finish, so a change held up by the platform (a 429
   * with a long retry_after) holds up neither replies nor later changes.
   */
  afterReplies(channel: string, chatId: string, change: () => Promise<void>): void {
    const key = chatKey(channel, chatId);
    const next = (this.signals.get(key) ?? Promise.resolve())
      .then(() => this.chains.get(key))
      .then(() => {
        // Not awaited: the lane only orders starts. A change that throws is logged, never
        // allowed to reject the lane.
        Promise.resolve()
          .then(change)
          .catch((error: unknown) => {
            this.options.logger.debug({ channel, err: String(error) }, "a chat signal failed");
          });
      });
    this.signals.set(key, next);
    void next.finally(() => {
      if (this.signals.get(key) === next) this.signals.delete(key);
    });
  }

  /** Picks up what a previous process left in the outbox. */
  resume(): void {
    for (const item of pendingDeliveries(this.options.db)) {
      this.schedule(
        item.id,
        item.channel,
        item.chatId,
        Math.max(0, item.nextAttemptAt - Date.now()),
      );
    }
  }

  /** Waits for everything queued so far to be sent or to have failed for now. */
  async settled(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  /**
   * For shutdown: sends what is ready now, then stops. A reply waiting out a retry delay
   * stays in the outbox with its due time and goes out after the next start, so a
   * platform's long Retry-After cannot hold the process up.
   */
  async drain(): Promise<void> {
    this.draining = true;
    for (const wake of this.sleepers.values()) wake();
    await this.settled();
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.sleepers.keys()) clearTimeout(timer);
    this.sleepers.clear();
  }

  /** Tells listeners; one that throws is logged, never allowed to break a chat's chain. */
  private notify(event: "delivered" | "failed", item: OutboxItem): void {
    try {
      this.emit(event, item);
    } catch (error) {
      this.options.logger.error({ err: String(error), event }, "delivery listener failed");
    }
  }

  private schedule(outboxId: number, channel: string, chatId: string, delayMs = 0): void {
    const key = chatKey(channel, chatId);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (delayMs > 0) await this.sleep(delayMs);
        if (this.draining && delayMs > 0) return;
        await this.deliver(outboxId);
      })
      // A chat's chain must go on (and the process live) whatever one delivery ran into.
      .catch((error: unknown) => {
        this.options.logger.error({ outbox: outboxId, err: String(error) }, "delivery failed");
      });
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.draining) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleepers.delete(timer);
        resolve();
      }, ms);
      this.sleepers.set(timer, () => {
        clearTimeout(timer);
        this.sleepers.delete(timer);
        resolve();
      });
    });
  }

  /**
   * Writes what became of a send. On a full disk the write is retried with backoff, never
   * the send; until it succeeds the row stays pending, so a restart sends it again, as after
   * any crash between a send and its record. False when stopped before it was written.
   */
  private async record(write: () => void): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        write();
        return true;
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        this.disk?.report(error, "a delivery record");
        if (this.stopped || this.draining) return false;
        await this.sleep(backoffMs(attempt + 1, this.options.baseDelayMs, this.options.maxDelayMs));
      }
    }
  }

  /**
   * Sends an item. A text that replaces a preview is edited into it; without the preview's id
   * (its send failed or was cut short by a crash before the id was kept) it is sent anew.
   */
  private send(
    channel: Channel,
    item: OutboxItem,
    preview: Preview | undefined,
  ): Promise<string[]> {
    const thread = item.threadId ? { threadId: item.threadId } : {};
    if (!item.file)
      return preview?.platformId && channel.edit
        ? channel.edit(item.chatId, preview.platformId, item.text, thread)
        : channel.send(item.chatId, item.text, thread);
    // Checked when the agent called send_file; a channel replaced since may still lack it.
    if (!channel.sendFile) throw new Error(`${item.channel} cannot send files`);
    const { name, mimeType, size, stored } = item.file;
    return channel.sendFile(
      item.chatId,
      { name, mimeType, size, path: join(this.options.filesDir, stored) },
      { ...thread, ...(item.text ? { caption: item.text } : {}) },
    );
  }

  /**
   * A sent or failed file's copy is removed and its row marked so, unless its channel serves
   * it (the web chat: the retention removes it later). Never throws: the send is recorded.
   * A copy or mark left behind is the retention's to finish (outbound-retention.ts).
   */
  private async settledFile(item: OutboxItem): Promise<void> {
    if (!item.file || this.options.channels.get(item.channel)?.servesFiles) return;
    try {
      await rm(join(this.options.filesDir, item.file.stored), { force: true });
      markCopyRemoved(this.options.db, item.messageId, Date.now());
    } catch (error) {
      this.options.logger.warn({ outbox: item.id, err: String(error) }, "file copy not removed");
    }
  }

  /** The preview a delivery replaces, once its own send or edit in flight has ended. */
  private async previewOf(outboxId: number): Promise<Preview | undefined> {
    const claimed = previewOfDelivery(this.options.db, outboxId);
    if (!claimed) return undefined;
    await this.previewWork.get(claimed.id);
    return getPreview(this.options.db, claimed.id);
  }

  // Retries wait inside the chat's chain, so later replies never overtake an earlier one.
  private async deliver(outboxId: number): Promise<void> {
    const { db, logger } = this.options;
    for (;;) {
      if (this.stopped) return;
      const item = getDelivery(db, outboxId);
      if (!item || item.status !== "pending") return;
      const channel = this.options.channels.get(item.channel);
      try {
        if (!channel) throw new TransientSendError(`channel ${item.channel} is not running`);
        const preview = await this.previewOf(item.id);
        const ids = await this.send(channel, item, preview);
        const recorded = await this.record(() =>
          transaction(db, () => {
            setPlatformIds(db, item.messageId, ids);
            markSent(db, item.id, Date.now());
            if (preview) deletePreview(db, preview.id);
          }),
        );
        if (!recorded) return;
        await this.settledFile(item);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const attempts = item.attempts + 1;
        if (!(error instanceof TransientSendError) || attempts >= this.options.maxAttempts) {
          if (!(await this.record(() => markFailed(db, item.id, message)))) return;
          await this.settledFile(item);
          logger.error(
            { outbox: item.id, channel: item.channel, attempts, err: message },
            "send failed for good",
          );
          this.notify("failed", { ...item, status: "failed", lastError: message });
          return;
        }
        const backoff = backoffMs(attempts, this.options.baseDelayMs, this.options.maxDelayMs);
        const delay = Math.max(error.retryAfterMs ?? 0, backoff * (0.8 + Math.random() * 0.4));
        if (!(await this.record(() => markRetry(db, item.id, message, Date.now() + delay)))) return;
        logger.warn(
          {
            outbox: item.id,
            channel: item.channel,
            attempts,
            retryInMs: Math.round(delay),
            err: message,
          },
          "send failed; will retry",
        );
        if (this.draining) return;
        await this.sleep(delay);
        if (this.draining) return;
        continue;
      }
      // Outside the try: a listener's failure must not turn a sent message into a failed one.
      this.notify("delivered", { ...item, status: "sent" });
      return;
    }
  }
}
