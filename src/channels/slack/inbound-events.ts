// Slack message events as the core's InboundEvents: a person's message (mentions written out
// as names, files as attachments), an edit, a deletion. Bots (ourselves included) and system
// subtypes (joins, topics) are not something said and translate to nothing.
import type { Logger } from "../../log.ts";
import type { Attachment, DiscoveredChat, InboundEvent } from "../channel.ts";
import { fileAttachment, type SlackFile } from "./attachments.ts";
import type { SlackDirectory } from "./directory.ts";
import {
  mentionedUserIds,
  mentionsUser,
  slackTextToMarkdown,
  slackTsToMs,
} from "./inbound-text.ts";

export interface BotIdentity {
  botUserId: string;
  botId: string | undefined;
  teamId: string | undefined;
}

export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  event_ts?: string;
  thread_ts?: string;
  /** On a reply in a thread: who wrote the thread's first message. */
  parent_user_id?: string;
  files?: SlackFile[];
  message?: {
    subtype?: string;
    user?: string;
    bot_id?: string;
    text?: string;
    ts: string;
    edited?: { ts?: string };
  };
  previous_message?: { user?: string; bot_id?: string; text?: string; ts?: string };
  deleted_ts?: string;
}

/** Message subtypes that are a person's message; the rest (joins, topics, bots) are not. */
const PERSON_SUBTYPES = new Set(["file_share", "thread_broadcast", "me_message"]);

export interface SlackInboundContext {
  identity: BotIdentity;
  directory: SlackDirectory;
  assistantName: string;
  /** Only for downloading files from `filesUrl`, never sent anywhere else. */
  botToken: string;
  filesUrl: string | undefined;
  maxAttachmentBytes: number;
  logger: Logger;
  /** Called with the conversation a message came from, before it is handed over. */
  announce(chat: DiscoveredChat): void;
}

export class SlackInboundEvents {
  readonly #context: SlackInboundContext;

  constructor(context: SlackInboundContext) {
    this.#context = context;
  }

  /**
   * The key under which Slack may hand the same event over twice (a mention arrives as both
   * `message` and `app_mention` with one ts; a redelivery repeats an envelope), or null for
   * an event that is not a person's message, edit or deletion.
   */
  keyOf(event: SlackMessageEvent): string | null {
    if (event.subtype === "message_changed" || event.subtype === "message_deleted")
      return `${event.channel}:${event.event_ts ?? event.ts}`;
    if (event.subtype !== undefined && !PERSON_SUBTYPES.has(event.subtype)) return null;
    if (!event.user || event.bot_id || event.user === this.#context.identity.botUserId) return null;
    return `${event.channel}:${event.ts}`;
  }

  /** The event for the core; call only for events `keyOf` accepted. */
  async translate(event: SlackMessageEvent): Promise<InboundEvent | null> {
    if (event.subtype === "message_changed") return await this.#edit(event);
    if (event.subtype === "message_deleted") return this.#deletion(event);
    return await this.#message(event, event.user ?? "");
  }

  async #message(event: SlackMessageEvent, userId: string): Promise<InboundEvent> {
    const { directory, identity } = this.#context;
    const raw = event.text ?? "";
    const [senderName, conversation, text] = await Promise.all([
      directory.userName(userId),
      directory.conversation(event.channel, event.channel_type),
      this.#renderText(raw),
    ]);
    const isGroup = !conversation.isIm;
    const chatName = isGroup ? conversation.name : senderName;
    this.#context.announce({ chatId: event.channel, name: chatName, isGroup });
    const attachments = (event.files ?? []).flatMap((file): Attachment[] => {
      const attachment = fileAttachment(file, {
        botToken: this.#context.botToken,
        maxBytes: this.#context.maxAttachmentBytes,
        filesUrl: this.#context.filesUrl,
        logger: this.#context.logger,
      });
      return attachment ? [attachment] : [];
    });
    return {
      type: "message",
      message: {
        chatId: event.channel,
        messageId: event.ts,
        ...(event.thread_ts ? { threadId: event.thread_ts } : {}),
        senderId: userId,
        senderName,
        text,
        timestamp: slackTsToMs(event.ts),
        isGroup,
        chatName,
        // Slack has no quoted replies; a reply in a thread under the bot's message is the
        // nearest thing, and counts as addressing the bot. Its text comes from the store.
        mentionsBot:
          mentionsUser(raw, identity.botUserId) || event.parent_user_id === identity.botUserId,
        ...(event.thread_ts && event.thread_ts !== event.ts
          ? { replyTo: { messageId: event.thread_ts, senderName: "", text: "" } }
          : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
      },
    };
  }

  async #edit(event: SlackMessageEvent): Promise<InboundEvent | null> {
    const message = event.message;
    if (!message || this.#isBot(message)) return null;
    // A deleted thread parent stays behind as a "tombstone" while its replies remain.
    if (message.subtype === "tombstone")
      return { type: "delete", chatId: event.channel, messageId: message.ts };
    // Unfurls and attachment changes also arrive as message_changed, with the text unchanged.
    if (message.text === event.previous_message?.text) return null;
    return {
      type: "edit",
      chatId: event.channel,
      messageId: message.ts,
      text: await this.#renderText(message.text ?? ""),
      timestamp: slackTsToMs(message.edited?.ts ?? event.ts),
    };
  }

  #deletion(event: SlackMessageEvent): InboundEvent | null {
    const previous = event.previous_message;
    const messageId = event.deleted_ts ?? previous?.ts;
    if (!messageId || (previous && this.#isBot(previous))) return null;
    return { type: "delete", chatId: event.channel, messageId };
  }

  #isBot(message: { bot_id?: string; user?: string }): boolean {
    return Boolean(message.bot_id) || message.user === this.#context.identity.botUserId;
  }

  async #renderText(text: string): Promise<string> {
    const { identity, directory } = this.#context;
    const others = mentionedUserIds(text).filter((id) => id !== identity.botUserId);
    const names = await Promise.all(
      others.map(async (id) => [id, await directory.userName(id)] as const),
    );
    return slackTextToMarkdown(text, {
      botUserId: identity.botUserId,
      assistantName: this.#context.assistantName,
      userNames: new Map(names),
    });
  }
}
