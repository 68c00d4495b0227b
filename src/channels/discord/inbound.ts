// Translates discord.js events into the core's: messages (display names, mentions rewritten
// to readable text, the replied-to message and lazily downloaded attachments), edits,
// deletions, button taps, and the guild channels the bot can answer in.
import { ChannelType, MessageFlags, MessageReferenceType, MessageType } from "discord.js";
import type {
  ButtonInteraction,
  Channel as DiscordChannelObject,
  Attachment as DiscordAttachment,
  Message,
  PartialMessage,
} from "discord.js";
import type { Attachment, DiscoveredChat, InboundEvent, InboundMessage } from "../channel.ts";
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

/** A message as the core's event; joins, pins, thread notices and the like are none. */
export async function messageEvent(
  message: Message,
  context: InboundContext,
): Promise<InboundEvent | null> {
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return null;
  return { type: "message", message: await toInboundMessage(message, context) };
}

/** An edit of the text; Discord also sends MESSAGE_UPDATE when link previews load. */
export function editEvent(
  old: AnyMessage,
  updated: AnyMessage,
  context: InboundContext,
): InboundEvent | null {
  if (updated.content === null) return null;
  if (!old.partial && old.content === updated.content) return null;
  return {
    type: "edit",
    chatId: updated.channelId,
    messageId: updated.id,
    text: readableText(updated, context),
    timestamp: updated.editedTimestamp ?? Date.now(),
  };
}

export function deleteEvent(message: AnyMessage): InboundEvent {
  return { type: "delete", chatId: message.channelId, messageId: message.id };
}

/** A tap on an ask_user button. */
export function choiceEvent(interaction: ButtonInteraction): InboundEvent {
  return {
    type: "choice",
    chatId: interaction.channelId,
    messageId: interaction.message.id,
    senderId: interaction.user.id,
    senderName: interaction.inCachedGuild()
      ? interaction.member.displayName
      : interaction.user.displayName,
    choiceId: interaction.customId,
  };
}

/** A guild's text or announcement channel as a chat the bot may be asked to answer in. */
export function guildChat(channel: DiscordChannelObject): DiscoveredChat | undefined {
  if (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement)
    return undefined;
  return { chatId: channel.id, name: `${channel.guild.name} #${channel.name}`, isGroup: true };
}
