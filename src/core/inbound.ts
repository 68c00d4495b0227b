// What comes in from a channel: messages, edits and deletions are committed before the
// adapter may acknowledge them; an unknown chat may pair as the main chat; a registered
// group's attachments are saved and a triggering message starts (or joins) a turn. The
// bot's reactions on the messages it read live here too: 👀 on arrival, ✅/❌ once the
// turn that read them has ended.
import type { Channel, InboundEvent, InboundMessage } from "../channels/channel.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { AgentIsolation } from "../agent/isolation/agent-isolation.ts";
import { groupDir, type Paths } from "../data-layout.ts";
import { transaction, type Db } from "../store/db.ts";
import {
  getGroupByChat,
  insertGroup,
  suggestFolder,
  upsertChat,
  type Group,
} from "../store/groups.ts";
import {
  editMessage,
  findInbound,
  findOutbound,
  inboundAfter,
  insertInbound,
  markDeleted,
  setAttachments,
} from "../store/messages.ts";
import type { VoiceNotes } from "../transcribe/voice-notes.ts";
import { saveAttachments, unsavedAttachments } from "./attachments.ts";
import type { DiskQuota } from "./disk-quota.ts";
import { DISK_FULL_NOTE, type DiskSpace } from "./disk-space.ts";
import type { PairingCode } from "./pairing.ts";
import type { Questions } from "./questions.ts";
import { SYSTEM_SENDER_PREFIX, senderAllowed, triggers } from "./router.ts";

/** "/stop", as typed or as a Telegram group's "/stop@botname". */
export function isStopCommand(text: string): boolean {
  return /^\/stop(@\w+)?$/i.test(text.trim());
}

/** Joins an edited message's platform id to the edit's time, for the follow-up's own id. */
const EDIT_SUFFIX = "#edit-";

export interface InboundDeps {
  config: Config;
  db: Db;
  paths: Paths;
  isolation: AgentIsolation;
  channels: Map<string, Channel>;
  disk: DiskSpace;
  quota: DiskQuota | undefined;
  voiceNotes: VoiceNotes;
  pairing: PairingCode;
  logger: Logger;
  maxAttachmentBytes: number | undefined;
  /** The last message the group's agent has read: its watermark, or its live session's. */
  readUpTo(group: Group): number;
  /** Queues a reply; `turnThrough` ties it to the group's running turn. */
  reply(group: Group, text: string, turnThrough: number | undefined): void;
  /** The group may have something to answer. */
  dispatch(groupId: number): void;
  /** Starts a reaction change once the chat's queued replies are out (Delivery.afterReplies). */
  afterReplies(channel: string, chatId: string, change: () => Promise<void>): void;
  /** Stops the group's running turn (/stop); the chat is told. */
  stopTurn(groupId: number): boolean;
  /**
   * The host's answer to an owner's command in the main chat (e.g. "/approve <server>"),
   * or undefined when the text is none: then it goes to the agent as usual.
   */
  ownerCommand?: ((text: string) => string | undefined) | undefined;
  /** The ask_user questions waiting for a tap or a typed answer. */
  questions: Questions;
}

export class Inbound {
  private readonly deps: InboundDeps;
  private readonly db: Db;
  private readonly log: Logger;

  constructor(deps: InboundDeps) {
    this.deps = deps;
    this.db = deps.db;
    this.log = deps.logger;
  }

  /** Stores an event; on a full disk it is refused with a DiskFullError (the adapter retries). */
  async receive(channel: string, event: InboundEvent): Promise<void> {
    return this.deps.disk.write(`an incoming ${event.type}`, async () => {
      switch (event.type) {
        case "message":
          return this.receiveMessage(channel, event.message);
        case "edit":
          return this.receiveEdit(channel, event);
        case "delete": {
          const stored = findInbound(this.db, channel, event.chatId, event.messageId);
          if (stored) markDeleted(this.db, stored.id);
          return;
        }
        case "choice":
          return this.deps.questions.tap(channel, event);
      }
    });
  }

  /**
   * A reply to one of the assistant's own messages addresses it (a trigger in groups) and
   * quotes what it said, whatever the platform could tell: an email's In-Reply-To, a
   * Matrix reply without the old quote fallback, a Slack thread under the bot's message
   * name only the message. A quote the platform gave no text for, of someone else, is dropped.
   */
  private withQuote(channel: string, message: InboundMessage): InboundMessage {
    const quoted = message.replyTo;
    if (!quoted) return message;
    const own = findOutbound(this.db, channel, message.chatId, quoted.messageId);
    if (own)
      return {
        ...message,
        mentionsBot: true,
        replyTo: {
          messageId: quoted.messageId,
          senderName: own.senderName,
          text: quoted.text || own.text,
        },
      };
    if (quoted.text) return message;
    const { replyTo: _empty, ...rest } = message;
    return rest;
  }

  private async receiveMessage(channel: string, received: InboundMessage): Promise<void> {
    const message = this.withQuote(channel, received);
    const group = getGroupByChat(this.db, channel, message.chatId);
    if (group?.dropOthers && !senderAllowed(group, message.senderId)) return;
    // A typed answer to a waiting question goes to that tool call, not into a new turn.
    const answer = group && this.deps.questions.typedAnswer(group, message);
    const { id, created } = transaction(this.db, () => {
      upsertChat(
        this.db,
        { channel, chatId: message.chatId, name: message.chatName ?? "", isGroup: message.isGroup },
        message.timestamp,
      );
      return insertInbound(this.db, {
        channel,
        chatId: message.chatId,
        platformId: message.messageId,
        threadId: message.threadId,
        senderId: message.senderId,
        senderName: message.senderName,
        text: message.text,
        replyTo: message.replyTo,
        mentionsBot: message.mentionsBot,
        timestamp: message.timestamp,
        answers: answer?.questionId,
      });
    });
    if (!created) return;
    if (group && answer) {
      this.deps.questions.answerTyped(group, answer, message);
      return;
    }
    if (!group) {
      if (
        !message.isGroup &&
        this.deps.pairing.accept(message.text, `${channel}:${message.senderId}`)
      ) {
        const main = this.registerMainChat(
          channel,
          message.chatId,
          message.chatName || message.senderName,
        );
        this.log.info({ channel, chatId: message.chatId }, "chat paired as main");
        this.deps.reply(
          main,
          `Paired: this chat is now your main chat with ${this.deps.config.ASSISTANT_NAME}.`,
          undefined,
        );
      }
      return;
    }
    // A command to the host, not a message for the agent: it never reaches a turn.
    if (isStopCommand(message.text) && senderAllowed(group, message.senderId)) {
      markDeleted(this.db, id);
      this.deps.stopTurn(group.id);
      return;
    }
    // Answered by the host, never the agent: an agent cannot approve what it asked for.
    if (group.isMain && senderAllowed(group, message.senderId)) {
      const answer = this.deps.ownerCommand?.(message.text);
      if (answer !== undefined) {
        this.deps.reply(group, answer, undefined);
        return;
      }
    }
    if (message.attachments?.length) {
      await this.deps.isolation.ensureTrees(group);
      const refusal = this.deps.disk.full
        ? DISK_FULL_NOTE
        : this.deps.quota?.attachmentRefusal(group);
      const saved = refusal
        ? unsavedAttachments(message.attachments, refusal)
        : await saveAttachments(
            groupDir(this.deps.paths, group.folder),
            id,
            message.attachments,
            this.deps.maxAttachmentBytes ?? 20_000_000,
            this.deps.isolation.identityFor(group),
          );
      setAttachments(this.db, id, saved);
      // The group's turn waits for the transcripts (see dispatch).
      this.deps.voiceNotes.start(group, id, saved);
    }
    if (!triggers(group, message)) return;
    this.react(group, message.messageId, this.deps.config.ACK_REACTION);
    this.deps.dispatch(group.id);
  }

  private async receiveEdit(
    channel: string,
    edit: Extract<InboundEvent, { type: "edit" }>,
  ): Promise<void> {
    const stored = findInbound(this.db, channel, edit.chatId, edit.messageId);
    if (!stored || stored.text === edit.text) return;
    const group = getGroupByChat(this.db, channel, edit.chatId);
    const readUpTo = group ? this.deps.readUpTo(group) : 0;
    if (!group || stored.id > readUpTo) {
      // Not read by the agent yet: it will simply see the new text.
      editMessage(this.db, stored.id, edit.text, edit.timestamp);
      return;
    }
    // Already answered: the edit reaches the agent as a follow-up that says what it is.
    const wasTrigger = triggers(group, stored);
    await this.receiveMessage(channel, {
      chatId: edit.chatId,
      messageId: `${edit.messageId}${EDIT_SUFFIX}${edit.timestamp}`,
      threadId: stored.threadId ?? undefined,
      senderId: stored.senderId,
      senderName: stored.senderName,
      text: `${wasTrigger && group.requiresTrigger && !group.isMain ? `${group.trigger} ` : ""}(edited their earlier message "${stored.text.slice(0, 200)}" to:) ${edit.text}`,
      timestamp: edit.timestamp,
      isGroup: true,
      mentionsBot: false,
    });
  }

  /**
   * Sets the bot's reaction on a platform message. Edits enter as follow-up messages with
   * derived ids; their reaction goes on the message that was edited.
   */
  private react(group: Group, platformId: string, emoji: string): void {
    if (!emoji) return;
    this.deps.afterReplies(group.channel, group.chatId, async () => {
      // Looked up when the change starts: the adapter may have been replaced meanwhile.
      const channel = this.deps.channels.get(group.channel);
      await channel?.react?.(group.chatId, platformId.split(EDIT_SUFFIX)[0]!, emoji);
    });
  }

  /** Marks the triggering messages a finished turn has read as answered (or failed). */
  finishAcknowledgements(group: Group, from: number, through: number, ok: boolean): void {
    if (!this.deps.config.ACK_REACTION) return;
    for (const message of inboundAfter(this.db, group.channel, group.chatId, from)) {
      if (message.id > through) break;
      if (
        message.platformId &&
        !message.senderId.startsWith(SYSTEM_SENDER_PREFIX) &&
        triggers(group, message)
      ) {
        this.react(group, message.platformId, ok ? "✅" : "❌");
      }
    }
  }

  /** Makes a messaging chat a main chat (pairing or MAIN_CHAT); idempotent. */
  registerMainChat(channel: string, chatId: string, name: string): Group {
    const existing = getGroupByChat(this.db, channel, chatId);
    if (existing) return existing;
    return insertGroup(
      this.db,
      {
        channel,
        chatId,
        folder: suggestFolder(this.db, `main-${channel}`),
        name: name || "Owner",
        trigger: `@${this.deps.config.ASSISTANT_NAME}`,
        requiresTrigger: false,
        isMain: true,
      },
      Date.now(),
    );
  }
}
