// Translation of a received WhatsApp message (Baileys' WAMessage) into an InboundEvent:
// text from whichever message type carries it, the quoted message, mentions of the bot,
// media as attachments, edits and deletions. Everyone is named by their canonical JID
// (see identity.ts) so one person is one sender.
import {
  isJidGroup,
  isLidUser,
  isPnUser,
  normalizeMessageContent,
  proto,
  type WAMessage,
} from "baileys";
import type { Attachment, InboundEvent, InboundMessage } from "../channel.ts";
import { mentionOf } from "../mention.ts";
import {
  canonicalUserJid,
  isSelf,
  jidUser,
  type LidLookup,
  type SelfIdentity,
} from "./identity.ts";
import type { RecentMap } from "./recent-map.ts";

export interface InboundContext {
  self: SelfIdentity;
  assistantName: string;
  lids: LidLookup;
  /** Push names seen so far, by canonical user JID; updated as messages arrive. */
  names: RecentMap<string, string>;
  groupName(jid: string): Promise<string | undefined>;
  attachments(message: WAMessage, content: proto.IMessage): Attachment[];
}

/** Chats the assistant can take part in: people and groups, not status, channels or lists. */
export function isConversationJid(jid: string | null | undefined): jid is string {
  return Boolean(jid && (isJidGroup(jid) || isPnUser(jid) || isLidUser(jid)));
}

export function textOf(content: proto.IMessage | null | undefined): string {
  if (!content) return "";
  return (
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    ""
  );
}

function contextInfoOf(content: proto.IMessage): proto.IContextInfo | undefined {
  const carrier =
    content.extendedTextMessage ??
    content.imageMessage ??
    content.videoMessage ??
    content.audioMessage ??
    content.documentMessage ??
    content.stickerMessage;
  return carrier?.contextInfo ?? undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * WhatsApp writes a mention as "@<number>" in the text plus the JID in mentionedJid.
 * The bot's own becomes "@<assistant name>" (so the core's trigger matches); others
 * become "@<push name>" when the person is known (a push name like the assistant's
 * without the "@": see mention.ts).
 */
async function resolveMentions(
  text: string,
  mentioned: readonly string[],
  context: InboundContext,
): Promise<{ text: string; mentionsBot: boolean }> {
  let out = text;
  let mentionsBot = false;
  for (const jid of mentioned) {
    const user = jidUser(jid);
    if (!user) continue;
    let written: string | undefined;
    if (isSelf(jid, context.self)) {
      mentionsBot = true;
      written = `@${context.assistantName}`;
    } else {
      const name = context.names.get(await canonicalUserJid(jid, undefined, context.lids));
      written = name && mentionOf(name, context.assistantName);
    }
    if (written) out = out.replace(new RegExp(`@${escapeRegExp(user)}(?!\\d)`, "g"), written);
  }
  return { text: out, mentionsBot };
}

async function nameFor(jid: string, context: InboundContext): Promise<string> {
  if (isSelf(jid, context.self)) return context.assistantName;
  const canonical = await canonicalUserJid(jid, undefined, context.lids);
  return context.names.get(canonical) ?? jidUser(canonical) ?? canonical;
}

async function replyOf(
  info: proto.IContextInfo | undefined,
  context: InboundContext,
): Promise<InboundMessage["replyTo"]> {
  if (!info?.stanzaId || !info.quotedMessage) return undefined;
  const quoted = normalizeMessageContent(info.quotedMessage);
  return {
    messageId: info.stanzaId,
    senderName: info.participant ? await nameFor(info.participant, context) : "",
    text: textOf(quoted),
  };
}

function timestampOf(message: WAMessage): number {
  const seconds = Number(message.messageTimestamp ?? 0);
  return seconds > 0 ? seconds * 1000 : Date.now();
}

/** The chat a message belongs to: the group, or the other person's canonical JID. */
export async function chatIdOf(message: WAMessage, lids: LidLookup): Promise<string | undefined> {
  const remote = message.key.remoteJid;
  if (!isConversationJid(remote)) return undefined;
  return isJidGroup(remote) ? remote : canonicalUserJid(remote, message.key.remoteJidAlt, lids);
}

async function protocolEvent(
  chatId: string,
  message: WAMessage,
  protocol: proto.Message.IProtocolMessage,
  context: InboundContext,
): Promise<InboundEvent | null> {
  const messageId = protocol.key?.id;
  if (!messageId) return null;
  if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE) {
    return { type: "delete", chatId, messageId };
  }
  if (protocol.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
    const edited = normalizeMessageContent(protocol.editedMessage);
    if (!edited) return null;
    const info = contextInfoOf(edited);
    const { text } = await resolveMentions(textOf(edited), info?.mentionedJid ?? [], context);
    const editedAt = Number(protocol.timestampMs ?? 0);
    return {
      type: "edit",
      chatId,
      messageId,
      text,
      timestamp: editedAt > 0 ? editedAt : timestampOf(message),
    };
  }
  return null;
}

/** The event for one received message, or null when it is nothing the core keeps. */
export async function toInboundEvent(
  message: WAMessage,
  context: InboundContext,
): Promise<InboundEvent | null> {
  const { key } = message;
  if (key.fromMe || !key.id) return null;
  const chatId = await chatIdOf(message, context.lids);
  const content = normalizeMessageContent(message.message);
  if (!chatId || !content) return null;
  if (content.protocolMessage) {
    return protocolEvent(chatId, message, content.protocolMessage, context);
  }

  const isGroup = isJidGroup(chatId) === true;
  const senderJid = isGroup
    ? await canonicalUserJid(key.participant ?? "", key.participantAlt, context.lids)
    : chatId;
  if (!senderJid) return null;
  const pushName = message.pushName?.trim();
  if (pushName) context.names.set(senderJid, pushName);

  const info = contextInfoOf(content);
  const { text, mentionsBot } = await resolveMentions(
    textOf(content),
    info?.mentionedJid ?? [],
    context,
  );
  const attachments = context.attachments(message, content);
  if (text.trim() === "" && attachments.length === 0) return null;

  const senderName = pushName || context.names.get(senderJid) || jidUser(senderJid) || senderJid;
  const chatName = isGroup ? await context.groupName(chatId) : senderName;
  const replyTo = await replyOf(info, context);
  const inbound: InboundMessage = {
    chatId,
    messageId: key.id,
    senderId: senderJid,
    senderName,
    text,
    timestamp: timestampOf(message),
    isGroup,
    // A reply to one of the bot's messages addresses it (the quote names its author).
    mentionsBot: mentionsBot || isSelf(info?.participant, context.self),
    ...(chatName ? { chatName } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  };
  return { type: "message", message: inbound };
}
