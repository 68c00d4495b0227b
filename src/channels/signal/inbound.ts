// signal-cli's envelopes (see its JsonMessageEnvelope / JsonDataMessage) as the core's events.
// A Signal message is known by its author and its send timestamp: quotes, reactions, edits
// and deletes all name their target that way, so the message id here is
// "<timestamp>@<author>" and a reply, edit or delete maps back onto the stored message
// without any lookup. A direct chat's id is the person's number (their account id when they
// hide it); a group's is "group:" + signal-cli's base64 group id, which can contain "+".
import type { Attachment, DiscoveredChat, InboundEvent, InboundMessage } from "../channel.ts";
import { mentionOf } from "../mention.ts";

export const GROUP_PREFIX = "group:";

export interface SignalIdentity {
  /** The account's number, as SIGNAL_ACCOUNT gives it. */
  account: string;
  /** The account's own id (ACI), when known: mentions may name only it. */
  uuid?: string;
  assistantName: string;
}

/** Reads an attachment's bytes from the daemon (getAttachment). */
export type AttachmentReader = (id: string, chatId: string) => Promise<Uint8Array>;

export interface Translated {
  event: InboundEvent | null;
  /** The chat the envelope came from, for the discovered list. */
  chat: DiscoveredChat | null;
}

interface Mention {
  number?: string | null;
  uuid?: string | null;
  name?: string | null;
  start: number;
  length: number;
}

interface DataMessage {
  timestamp?: number;
  message?: string | null;
  mentions?: Mention[];
  attachments?: {
    contentType?: string;
    filename?: string | null;
    id: string;
    size?: number | null;
  }[];
  quote?: {
    id: number;
    authorNumber?: string | null;
    authorUuid?: string | null;
    author?: string | null;
    text?: string | null;
  };
  groupInfo?: { groupId: string; groupName?: string | null; type?: string };
  remoteDelete?: { timestamp: number };
  reaction?: unknown;
  sticker?: unknown;
}

interface Envelope {
  source?: string | null;
  sourceNumber?: string | null;
  sourceUuid?: string | null;
  sourceName?: string | null;
  timestamp?: number;
  dataMessage?: DataMessage;
  editMessage?: { targetSentTimestamp: number; dataMessage: DataMessage };
}

export function messageId(timestamp: number, author: string): string {
  return `${timestamp}@${author}`;
}

/** The timestamp and author a message id stands for, or null for an id not made here. */
export function parseMessageId(id: string): { timestamp: number; author: string } | null {
  const match = /^(\d+)@(.+)$/.exec(id);
  return match ? { timestamp: Number(match[1]), author: match[2]! } : null;
}

export function isGroupChat(chatId: string): boolean {
  return chatId.startsWith(GROUP_PREFIX);
}

/** The send parameters that address a chat: `groupId` or `recipient`. */
export function addressOf(chatId: string): { groupId: string } | { recipient: string[] } {
  return isGroupChat(chatId)
    ? { groupId: chatId.slice(GROUP_PREFIX.length) }
    : { recipient: [chatId] };
}

function isBot(
  who: { number?: string | null; uuid?: string | null },
  identity: SignalIdentity,
): boolean {
  return (
    who.number === identity.account || (identity.uuid !== undefined && who.uuid === identity.uuid)
  );
}

/** Replaces each mention's U+FFFC placeholder with a readable "@…" (the bot's as the trigger). */
export function resolveMentions(
  text: string,
  mentions: readonly Mention[] | undefined,
  identity: SignalIdentity,
): { text: string; mentionsBot: boolean } {
  let result = text;
  let mentionsBot = false;
  // From the end, so earlier offsets (UTF-16 units, as JavaScript strings count) stay valid.
  for (const mention of [...(mentions ?? [])].sort((a, b) => b.start - a.start)) {
    const bot = isBot(mention, identity);
    mentionsBot ||= bot;
    const written = bot
      ? `@${identity.assistantName}`
      : mentionOf(
          mention.name || mention.number || mention.uuid || "someone",
          identity.assistantName,
        );
    result =
      result.slice(0, mention.start) + written + result.slice(mention.start + mention.length);
  }
  return { text: result, mentionsBot };
}

function attachmentKind(contentType: string | undefined): Attachment["kind"] {
  const type = contentType?.split("/")[0];
  return type === "image" || type === "audio" || type === "video" ? type : "file";
}

function attachmentsOf(
  data: DataMessage,
  chatId: string,
  read: AttachmentReader,
): Attachment[] | undefined {
  const files = data.attachments ?? [];
  if (files.length === 0) return undefined;
  return files.map((file) => ({
    kind: attachmentKind(file.contentType),
    fileName: file.filename || file.id,
    ...(file.contentType ? { mimeType: file.contentType } : {}),
    ...(typeof file.size === "number" ? { size: file.size } : {}),
    download: () => read(file.id, chatId),
  }));
}

/** Translates one envelope; receipts, typing, reactions, stories and the bot's own sends give no event. */
export function translateEnvelope(
  raw: Record<string, unknown>,
  identity: SignalIdentity,
  read: AttachmentReader,
): Translated {
  const envelope = raw as Envelope;
  const number = envelope.sourceNumber ?? envelope.source ?? null;
  const author = number ?? envelope.sourceUuid ?? null;
  const data = envelope.editMessage?.dataMessage ?? envelope.dataMessage;
  if (!author || !data || isBot({ number, uuid: envelope.sourceUuid ?? null }, identity))
    return { event: null, chat: null };
  const group = data.groupInfo;
  const chatId = group ? `${GROUP_PREFIX}${group.groupId}` : author;
  const senderName = envelope.sourceName || author;
  const chat: DiscoveredChat = group
    ? { chatId, name: group.groupName || "Signal group", isGroup: true }
    : { chatId, name: senderName, isGroup: false };
  const timestamp = envelope.timestamp ?? data.timestamp ?? Date.now();

  if (data.remoteDelete)
    return {
      event: { type: "delete", chatId, messageId: messageId(data.remoteDelete.timestamp, author) },
      chat,
    };
  if (envelope.editMessage) {
    const { text } = resolveMentions(data.message ?? "", data.mentions, identity);
    const target = messageId(envelope.editMessage.targetSentTimestamp, author);
    return { event: { type: "edit", chatId, messageId: target, text, timestamp }, chat };
  }
  if (data.reaction || (!data.message && !data.attachments?.length)) return { event: null, chat };

  const mentions = resolveMentions(data.message ?? "", data.mentions, identity);
  const quote = data.quote;
  const quoteAuthor = quote
    ? (quote.authorNumber ?? quote.author ?? quote.authorUuid ?? null)
    : null;
  const quotesBot = quote
    ? isBot({ number: quoteAuthor, uuid: quote.authorUuid ?? null }, identity)
    : false;
  const attachments = attachmentsOf(data, chatId, read);
  const message: InboundMessage = {
    chatId,
    messageId: messageId(timestamp, author),
    senderId: author,
    senderName,
    text: mentions.text,
    timestamp,
    isGroup: Boolean(group),
    ...(group ? { chatName: chat.name } : {}),
    mentionsBot: mentions.mentionsBot || quotesBot,
    ...(quote && quoteAuthor
      ? {
          replyTo: {
            messageId: messageId(quote.id, quoteAuthor),
            senderName: quotesBot ? identity.assistantName : quoteAuthor,
            text: quote.text ?? "",
          },
        }
      : {}),
    ...(attachments ? { attachments } : {}),
  };
  return { event: { type: "message", message }, chat };
}
