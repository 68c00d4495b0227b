// Replies shown while the agent writes them. Each text block of a turn grows in the chat as
// it streams: in the web chat as deltas (an event per piece), on platforms that can edit
// (Telegram, Discord, Slack, Matrix) as one preview message edited at a pace the platform
// tolerates (edit-pacer.ts). While a tool runs, the preview shows a status line instead.
//
// The preview's lifecycle is the crash rule: its row (store/previews.ts) is written before
// the message is sent and gets the platform id as soon as the send returns. The final text
// of the block claims it in the same transaction as its outbox row, and the delivery edits
// the preview into that text (delivery.ts). A preview no final text claims (the turn ended
// without one, was stopped, or the process died) is deleted: at the turn's end, or at the
// next start for what a crash left. So a preview never stays saying what the answer does not.
import type { Channel } from "../channels/channel.ts";
import { TransientSendError } from "../channels/channel.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import {
  deletePreview,
  getPreview,
  insertPreview,
  orphanedPreviews,
  setPreviewPlatformId,
  type Preview,
} from "../store/previews.ts";
import { backoffMs } from "../time/backoff.ts";
import { sleep } from "../time/sleep.ts";
import type { Delivery } from "./delivery.ts";
import type { DiskSpace } from "./disk-space.ts";
import { EditPacer, type EditOutcome, type PacerClock } from "./edit-pacer.ts";
import { stripInternal } from "./format.ts";

/** A growth of the web chat's reply being written: `text` appends; `reset` replaces it all. */
export interface LiveDelta {
  /** The reply being written; its final text comes as the web chat's next message. */
  id: string;
  text?: string;
  reset?: string;
}

/** A preview shows the start of a long text: one message on every platform (Discord: 2000). */
const PREVIEW_CHARS = 1800;
/** Telegram allows about one edit a second per chat; the others are laxer. */
const MIN_EDIT_INTERVAL_MS = 1_000;
const MAX_EDIT_INTERVAL_MS = 30_000;
/** Deleting what a crash left behind: tries, the channel may still be connecting. */
const CLEANUP_ATTEMPTS = 8;
/** Deleting an unclaimed preview at a turn's end: a few tries (a rate limit may refuse one). */
const FINISH_ATTEMPTS = 3;

export interface LiveRepliesOptions {
  db: Db;
  channels: Map<string, Channel>;
  delivery: Delivery;
  disk: DiskSpace;
  logger: Logger;
  /** Whether the group's replies are shown as they are written. */
  enabled(group: Group): boolean;
  /** The web chat's deltas (for every group; the web chat shows the main group's). */
  onDelta(groupId: number, delta: LiveDelta): void;
  clock?: PacerClock;
}

interface Live {
  group: Group;
  threadId: string | undefined;
  enabled: boolean;
  /** The text block being written, as streamed so far. */
  raw: string;
  /** The visible text the web chat has been sent for this block. */
  shown: string;
  status: string | undefined;
  blockId: string;
  preview: { id: number; pacer: EditPacer } | undefined;
}

let blockCounter = 0;

export class LiveReplies {
  private readonly options: LiveRepliesOptions;
  private readonly live = new Map<number, Live>();

  constructor(options: LiveRepliesOptions) {
    this.options = options;
  }

  /** A piece of the text the group's agent is writing. */
  delta(group: Group, text: string, thread: () => string | undefined): void {
    const live = this.stateOf(group, thread);
    if (!live.enabled) return;
    live.raw += text;
    live.status = undefined;
    const visible = stripInternal(live.raw);
    if (visible === live.shown) return;
    this.options.onDelta(
      group.id,
      visible.startsWith(live.shown)
        ? { id: live.blockId, text: visible.slice(live.shown.length) }
        : { id: live.blockId, reset: visible },
    );
    live.shown = visible;
    this.show(live);
  }

  /** What the agent is doing now (a status line), shown until it writes again. */
  status(group: Group, line: string, thread: () => string | undefined): void {
    const live = this.stateOf(group, thread);
    if (!live.enabled) return;
    live.status = line;
    this.show(live);
  }

  /**
   * The block's final text is being queued: returns the preview it replaces (for the outbox
   * row to claim) and starts the next block afresh.
   */
  claim(group: Group): number | undefined {
    const live = this.live.get(group.id);
    if (!live) return undefined;
    this.live.delete(group.id);
    if (!live.preview) return undefined;
    // What waits is dropped; the delivery waits for the edit in flight (Delivery.previewCall).
    void live.preview.pacer.stop();
    return live.preview.id;
  }

  /** A block ended with nothing to say (all internal): its text is forgotten, a status stays. */
  blockEnded(group: Group): void {
    const live = this.live.get(group.id);
    if (!live) return;
    live.raw = "";
    live.shown = "";
    live.blockId = `${group.id}-${++blockCounter}`;
  }

  /** The turn ended (or was stopped, or its process died): an unclaimed preview goes. */
  finish(group: Group): void {
    const live = this.live.get(group.id);
    this.live.delete(group.id);
    if (!live?.preview) return;
    const { id, pacer } = live.preview;
    void pacer.stop().then(() => this.remove(id, FINISH_ATTEMPTS));
  }

  /** At startup, before any turn: removes the previews a previous process left unclaimed. */
  recover(): void {
    for (const preview of orphanedPreviews(this.options.db))
      void this.remove(preview.id, CLEANUP_ATTEMPTS);
  }

  /** The group's reply being written; `thread` is asked when one starts. */
  private stateOf(group: Group, thread: () => string | undefined): Live {
    let live = this.live.get(group.id);
    if (!live) {
      live = {
        group,
        threadId: thread(),
        enabled: this.options.enabled(group),
        raw: "",
        shown: "",
        status: undefined,
        blockId: `${group.id}-${++blockCounter}`,
        preview: undefined,
      };
      this.live.set(group.id, live);
    }
    return live;
  }

  private canPreview(
    channel: Channel | undefined,
  ): channel is Channel & Required<Pick<Channel, "edit" | "deleteMessage">> {
    return channel?.edit !== undefined && channel.deleteMessage !== undefined;
  }

  private show(live: Live): void {
    const channel = this.options.channels.get(live.group.channel);
    if (!this.canPreview(channel)) return;
    const text = previewText(live.shown, live.status);
    if (!text) return;
    if (!live.preview) {
      const { group, threadId } = live;
      const id = this.options.disk.attempt("a preview", () =>
        insertPreview(this.options.db, group.channel, group.chatId, Date.now()),
      );
      // Without its row a crash could leave the message behind: no preview then.
      if (id === undefined) return;
      const pacer = new EditPacer({
        minIntervalMs: MIN_EDIT_INTERVAL_MS,
        maxIntervalMs: MAX_EDIT_INTERVAL_MS,
        perform: (next) =>
          this.options.delivery.previewCall(id, () => this.write(channel, id, threadId, next)),
        ...(this.options.clock ? { clock: this.options.clock } : {}),
      });
      live.preview = { id, pacer };
    }
    live.preview.pacer.update(text);
  }

  /** Sends the preview (the first time) or edits it. */
  private async write(
    channel: Channel & Required<Pick<Channel, "edit">>,
    id: number,
    threadId: string | undefined,
    text: string,
  ): Promise<EditOutcome> {
    const { db, logger } = this.options;
    const preview = getPreview(db, id);
    // Claimed meanwhile, or replaced already: the final text is the outbox's to write.
    if (!preview || preview.outboxId !== null) return { ok: true };
    try {
      if (preview.platformId) {
        await channel.edit(preview.chatId, preview.platformId, text, {});
      } else {
        const [platformId] = await channel.send(preview.chatId, text, threadId ? { threadId } : {});
        if (platformId)
          this.options.disk.attempt("a preview's id", () =>
            setPreviewPlatformId(db, id, platformId),
          );
      }
      return { ok: true };
    } catch (error) {
      logger.debug({ err: String(error), channel: preview.channel }, "a preview edit failed");
      return {
        ok: false,
        retryAfterMs: error instanceof TransientSendError ? error.retryAfterMs : undefined,
      };
    }
  }

  /** Deletes a preview's message (when it has one) and its row; retried `attempts` times. */
  private async remove(id: number, attempts: number): Promise<void> {
    const { db, delivery, logger } = this.options;
    for (let attempt = 1; ; attempt++) {
      const preview = getPreview(db, id);
      if (!preview || preview.outboxId !== null) return;
      try {
        await delivery.previewCall(id, () => this.deleteMessage(preview));
        this.options.disk.attempt("a preview", () => deletePreview(db, id));
        return;
      } catch (error) {
        if (attempt >= attempts || !(error instanceof TransientSendError)) {
          logger.warn(
            { err: String(error), channel: preview.channel },
            "a preview of an unfinished reply could not be deleted",
          );
          return;
        }
        await sleep(error.retryAfterMs ?? backoffMs(attempt, 1_000, 60_000));
      }
    }
  }

  private async deleteMessage(preview: Preview): Promise<void> {
    // Re-read: a send in flight may have given it its id meanwhile.
    const platformId = getPreview(this.options.db, preview.id)?.platformId;
    if (!platformId) return;
    const channel = this.options.channels.get(preview.channel);
    if (!channel?.deleteMessage)
      throw new TransientSendError(`channel ${preview.channel} is not running`);
    await channel.deleteMessage(preview.chatId, platformId);
  }
}

/** What a preview message says: the start of the text, and the status line under it. */
export function previewText(visible: string, status: string | undefined): string {
  const text =
    visible.length > PREVIEW_CHARS ? `${visible.slice(0, PREVIEW_CHARS).trimEnd()} …` : visible;
  const line = status ? `_${status}_` : "";
  return [text, line].filter(Boolean).join("\n\n");
}
