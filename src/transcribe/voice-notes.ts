// Turns the voice notes of stored messages into text. It runs beside the adapter, not
// inside it: the message is already committed and acknowledged while the recording is
// transcribed (adapters take updates one at a time, and a slow endpoint must not hold up
// a whole platform), and the group's turn waits until its notes are done so the agent sees
// them. A failure becomes a note in the message; the message itself is never lost. Notes
// still pending after a restart are picked up again by resume().
import { readTreeFile } from "../agent/isolation/tree-fs.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import {
  inboundAfter,
  setTranscripts,
  type StoredAttachment,
  type StoredTranscription,
} from "../store/messages.ts";
import { voiceNoteLine } from "./voice-note-line.ts";
import { MAX_UPLOAD_BYTES, type Transcriber } from "./transcriber.ts";

export const TRANSCRIPTION_OFF =
  "voice transcription is not set up, so you cannot listen to it (the owner can turn it on with TRANSCRIBE_URL)";

export interface VoiceNotesOptions {
  db: Db;
  /** Undefined when TRANSCRIBE_URL is not set: notes are marked as not transcribed. */
  transcriber: Transcriber | undefined;
  logger: Logger;
  /** The absolute folder whose relative attachment paths belong to a group. */
  folderOf(group: Group): string;
  /** The group has no transcription in progress any more; its turn may go ahead. */
  onSettled(groupId: number): void;
}

function isPending(attachment: StoredAttachment): boolean {
  return attachment.voice === true && attachment.transcription?.status === "pending";
}

export class VoiceNotes {
  private readonly options: VoiceNotesOptions;
  private readonly inProgress = new Map<number, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(options: VoiceNotesOptions) {
    this.options = options;
  }

  /** True while a voice note of the group is being transcribed: its turn must wait. */
  holding(groupId: number): boolean {
    return this.inProgress.has(groupId);
  }

  /**
   * Transcribes the pending voice notes among a stored message's attachments. Without a
   * transcriber they are settled at once, so the turn is not held up.
   */
  start(group: Group, messageId: number, attachments: StoredAttachment[]): void {
    if (!attachments.some(isPending) || this.stopping.signal.aborted) return;
    if (!this.options.transcriber) {
      this.store(messageId, attachments, () => ({
        status: "failed",
        reason: TRANSCRIPTION_OFF,
      }));
      return;
    }
    this.inProgress.set(group.id, (this.inProgress.get(group.id) ?? 0) + 1);
    const job = this.transcribeAll(group, messageId, attachments, this.options.transcriber)
      .catch((error: unknown) => {
        if (this.stopping.signal.aborted) return;
        this.options.logger.error(
          { err: String(error), group: group.folder, messageId },
          "voice note transcription failed unexpectedly",
        );
      })
      .finally(() => {
        this.running.delete(job);
        const left = (this.inProgress.get(group.id) ?? 1) - 1;
        if (left > 0) {
          this.inProgress.set(group.id, left);
          return;
        }
        this.inProgress.delete(group.id);
        if (!this.stopping.signal.aborted) this.options.onSettled(group.id);
      });
    this.running.add(job);
  }

  /** Starts again what a restart interrupted: pending notes the group has not answered yet. */
  resume(group: Group): void {
    const messages = inboundAfter(this.options.db, group.channel, group.chatId, group.watermark);
    for (const message of messages) {
      if (message.attachments?.some(isPending)) this.start(group, message.id, message.attachments);
    }
  }

  /** Abandons what is in progress; it stays pending in the store for resume() after restart. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running]);
  }

  private async transcribeAll(
    group: Group,
    messageId: number,
    attachments: StoredAttachment[],
    transcriber: Transcriber,
  ): Promise<void> {
    const results = new Map<StoredAttachment, StoredTranscription>();
    for (const attachment of attachments.filter(isPending)) {
      results.set(attachment, await this.transcribeOne(group, attachment, transcriber));
    }
    if (this.stopping.signal.aborted) return;
    this.store(messageId, attachments, (attachment) => results.get(attachment)!);
  }

  private async transcribeOne(
    group: Group,
    attachment: StoredAttachment,
    transcriber: Transcriber,
  ): Promise<StoredTranscription> {
    const log = this.options.logger;
    if (!attachment.path) {
      return { status: "failed", reason: attachment.note ?? "the recording was not downloaded" };
    }
    let bytes: Uint8Array;
    try {
      // The folder is the agent's: read through descriptors, never a link or FIFO it put there.
      const file = await readTreeFile(
        this.options.folderOf(group),
        attachment.path,
        MAX_UPLOAD_BYTES,
      );
      if (!file) throw new Error(`${attachment.path} is gone`);
      bytes = file.data;
    } catch (error) {
      log.warn({ err: String(error), group: group.folder }, "voice note file unreadable");
      return { status: "failed", reason: "the recording could not be read" };
    }
    const started = Date.now();
    const result = await transcriber.transcribe(
      {
        bytes,
        fileName: attachment.fileName,
        mimeType: attachment.mimeType,
        durationSeconds: attachment.durationSeconds,
      },
      this.stopping.signal,
    );
    const context = {
      group: group.folder,
      file: attachment.path,
      seconds: attachment.durationSeconds,
      attempts: result.attempts,
      ms: Date.now() - started,
    };
    if (result.ok) {
      log.info({ ...context, chars: result.text.length }, "voice note transcribed");
      return { status: "done", text: result.text };
    }
    log.warn({ ...context, detail: result.detail }, "voice note not transcribed");
    return { status: "failed", reason: result.reason };
  }

  /** Settles the pending notes of a message with `outcome`, in its attachments and its text. */
  private store(
    messageId: number,
    attachments: StoredAttachment[],
    outcome: (attachment: StoredAttachment) => StoredTranscription,
  ): void {
    const lines: string[] = [];
    const settled = attachments.map((attachment) => {
      if (!isPending(attachment)) return attachment;
      const updated = { ...attachment, transcription: outcome(attachment) };
      lines.push(voiceNoteLine(updated)!);
      return updated;
    });
    setTranscripts(this.options.db, messageId, settled, lines.join("\n"));
  }
}
