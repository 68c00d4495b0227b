// Translates Telegram messages into the core's InboundMessage: who sent it, in which chat,
// whether it addresses the bot, and what it replies to. Pure functions over Bot API objects.
import type { Chat, Message, MessageEntity, User } from "grammy/types";
import type { Attachment, DiscoveredChat, InboundMessage } from "../channel.ts";
import { mentionOf } from "../mention.ts";

export interface BotIdentity {
  id: number;
  username: string;
}

export interface InboundContext {
  bot: BotIdentity;
  assistantName: string;
}

export function userName(user: Pick<User, "first_name" | "last_name" | "username">): string {
  const full = [user.first_name, user.last_name].filter(Boolean).join(" ").trim();
  return full || user.username || "unknown";
}

export function chatName(chat: Chat): string {
  if (chat.type === "private") return userName(chat);
  return chat.title;
}

export function isGroupChat(chat: Chat): boolean {
  return chat.type === "group" || chat.type === "supergroup";
}

export function discoveredChat(chat: Chat): DiscoveredChat {
  return { chatId: String(chat.id), name: chatName(chat), isGroup: isGroupChat(chat) };
}

/**
 * Finds real mentions of the bot in a message's entities and rewrites `@botusername`
 * to `@<assistantName>`, so the core's trigger pattern matches however the bot is named.
 */
export function resolveMentions(
  text: string,
  entities: MessageEntity[] | undefined,
  context: InboundContext,
): { text: string; mentionsBot: boolean } {
  const handle = `@${context.bot.username}`.toLowerCase();
  let result = text;
  let mentionsBot = false;
  // Right to left, so earlier offsets stay valid while the text changes length.
  const ordered = [...(entities ?? [])].sort((a, b) => b.offset - a.offset);
  for (const entity of ordered) {
    const slice = text.slice(entity.offset, entity.offset + entity.length);
    const isMention =
      (entity.type === "mention" && slice.toLowerCase() === handle) ||
      (entity.type === "text_mention" && entity.user.id === context.bot.id);
    if (isMention) {
      mentionsBot = true;
      result =
        result.slice(0, entity.offset) +
        `@${context.assistantName}` +
        result.slice(entity.offset + entity.length);
    } else if (entity.type === "bot_command" && slice.toLowerCase().endsWith(handle)) {
      mentionsBot = true;
    } else if (entity.type === "text_mention") {
      // Someone else, by id: their name must not read as the trigger (see mention.ts).
      const name = slice.replace(/^@/, "");
      const written = mentionOf(name, context.assistantName);
      if (written !== `@${name}`)
        result =
          result.slice(0, entity.offset) + written + result.slice(entity.offset + entity.length);
    }
  }
  return { text: result, mentionsBot };
}

function sender(message: Message, context: InboundContext): { id: string; name: string } {
  // Anonymous group admins and channels post as a chat, not as a user.
  if (message.sender_chat) {
    return { id: String(message.sender_chat.id), name: chatName(message.sender_chat) };
  }
  if (message.from?.id === context.bot.id)
    return { id: String(context.bot.id), name: context.assistantName };
  if (message.from) return { id: String(message.from.id), name: userName(message.from) };
  return { id: String(message.chat.id), name: chatName(message.chat) };
}

/** The message this one explicitly replies to; in forum topics every message "replies" to the topic's first message. */
function explicitReply(message: Message): Message | undefined {
  const reply = message.reply_to_message;
  if (!reply) return undefined;
  if (message.is_topic_message && reply.message_id === message.message_thread_id) return undefined;
  return reply;
}

export function isFromBot(message: Message, bot: BotIdentity): boolean {
  return message.from?.id === bot.id;
}

export function toInboundMessage(
  message: Message,
  context: InboundContext,
  attachments: Attachment[],
): InboundMessage | null {
  if (isFromBot(message, context.bot)) return null;
  const raw = message.text ?? message.caption ?? "";
  if (raw === "" && attachments.length === 0) return null;
  const mentions = resolveMentions(raw, message.entities ?? message.caption_entities, context);
  const from = sender(message, context);
  const reply = explicitReply(message);
  const inbound: InboundMessage = {
    chatId: String(message.chat.id),
    messageId: String(message.message_id),
    senderId: from.id,
    senderName: from.name,
    text: mentions.text,
    timestamp: message.date * 1000,
    isGroup: isGroupChat(message.chat),
    chatName: chatName(message.chat),
    mentionsBot: mentions.mentionsBot || reply?.from?.id === context.bot.id,
  };
  if (message.is_topic_message && message.message_thread_id !== undefined) {
    inbound.threadId = String(message.message_thread_id);
  }
  if (reply) {
    inbound.replyTo = {
      messageId: String(reply.message_id),
      senderName: sender(reply, context).name,
      text: reply.text ?? reply.caption ?? "",
    };
  }
  if (attachments.length > 0) inbound.attachments = attachments;
  return inbound;
}

export function editedText(message: Message, context: InboundContext): string {
  const raw = message.text ?? message.caption ?? "";
  return resolveMentions(raw, message.entities ?? message.caption_entities, context).text;
}
