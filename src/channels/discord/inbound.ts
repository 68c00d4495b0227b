// Translates discord.js messages into the core's InboundMessage: display names, mentions
// rewritten to readable text, the replied-to message and lazily downloaded attachments.
import { MessageFlags, MessageReferenceType } from "discord.js";
import type { Attachment as DiscordAttachment, Message, PartialMessage } from "discord.js";
import type { Attachment, InboundMessage } from "../channel.ts";
import { mentionOf } from "../mention.ts";
import { downloadCapped } from "./download.ts";

export interface InboundContext {
  botId: string;
  assistantName: string;
  maxAttachmentBytes: number;
}

type AnyMessage = Message | PartialMessage;

/**
 * `<@id>` becomes `@Name`, the bot `@<assistantName>`, so typed and real mentions read alike
 * (a member named like the assistant without the "@": see mention.ts).
 */
export function readableText(message: AnyMessage, context: InboundContext): string {
  const content = message.content ?? "";
  return content.replace(/<@!?(\d+)>/g, (whole, id: string) => {
    if (id === context.botId) return `@${context.assistantName}`;
    const member = message.mentions.members?.get(id);
    const user = message.mentions.users.get(id);
    const name = member?.displayName ?? user?.displayName;
    return name ? mentionOf(name, context.assistantName) : whole;
  });
}

export function senderNameOf(message: Message, context: InboundContext): string {
  if (message.author.id === context.botId) return context.assistantName;
  return message.member?.displayName ?? message.author.displayName;
}

export function chatNameOf(message: Message, senderName: string): string {
  if (!message.inGuild()) return `DM with ${senderName}`;
  return `${message.guild.name} #${message.channel.name}`;
}

async function repliedTo(
  message: Message,
  context: InboundContext,
): Promise<(NonNullable<InboundMessage["replyTo"]> & { authorId: string }) | undefined> {
  const reference = message.reference;
  if (!reference?.messageId || reference.type === MessageReferenceType.Forward) return undefined;
  const referenced =
    message.channel.messages.cache.get(reference.messageId) ??
    (await message.fetchReference().catch(() => undefined));
  if (!referenced) return undefined;
  return {
    messageId: referenced.id,
    senderName: senderNameOf(referenced, context),
    text: readableText(referenced, context),
    authorId: referenced.author.id,
  };
}

function kindOf(contentType: string | null): Attachment["kind"] {
  if (contentType?.startsWith("image/")) return "image";
  if (contentType?.startsWith("audio/")) return "audio";
  if (contentType?.startsWith("video/")) return "video";
  return "file";
}

/** A voice message is a message flag; its one attachment is the recording (duration_secs). */
function toAttachment(
  attachment: DiscordAttachment,
  maxBytes: number,
  voiceMessage: boolean,
): Attachment {
  const kind = voiceMessage ? "audio" : kindOf(attachment.contentType);
  return {
    kind,
    fileName: attachment.name,
    ...(attachment.contentType ? { mimeType: attachment.contentType } : {}),
    size: attachment.size,
    ...(voiceMessage ? { voice: true } : {}),
    ...(attachment.duration !== null ? { durationSeconds: attachment.duration } : {}),
    download: () => downloadCapped(attachment.url, attachment.name, maxBytes, attachment.size),
  };
}

/** Reads everything synchronously before the first await: later edits mutate `message`. */
export async function toInboundMessage(
  message: Message,
  context: InboundContext,
): Promise<InboundMessage> {
  const senderName = senderNameOf(message, context);
  const inbound: InboundMessage = {
    chatId: message.channelId,
    messageId: message.id,
    senderId: message.author.id,
    senderName,
    text: readableText(message, context),
    timestamp: message.createdTimestamp,
    isGroup: message.inGuild(),
    chatName: chatNameOf(message, senderName),
    mentionsBot: message.mentions.users.has(context.botId),
  };
  const voiceMessage = message.flags.has(MessageFlags.IsVoiceMessage);
  const attachments = [...message.attachments.values()].map((attachment) =>
    toAttachment(attachment, context.maxAttachmentBytes, voiceMessage),
  );
  if (attachments.length > 0) inbound.attachments = attachments;
  const replyTo = await repliedTo(message, context);
  if (replyTo) {
    const { authorId, ...quoted } = replyTo;
    inbound.replyTo = quoted;
    // A reply to the bot addresses it even when the sender turned the reply's ping off
    // (then Discord does not list the bot among the mentions).
    if (authorId === context.botId) inbound.mentionsBot = true;
  }
  return inbound;
}
