// A Bot API update as the core's event: a message, an edit of one, or a tap on an ask_user
// button; anything else (a membership change of the bot, say) is none. Each update also
// names the chat it happened in, which the adapter announces to the core.
import type { Chat, Update } from "grammy/types";
import type { InboundEvent } from "../channel.ts";
import { attachmentsOf, type FileSource } from "./attachments.ts";
import {
  editedText,
  isFromBot,
  toInboundMessage,
  userName,
  type InboundContext,
} from "./inbound.ts";

export interface TranslatedUpdate {
  event: InboundEvent | null;
  /** The chat the update showed the bot in, if any. */
  chat: Chat | undefined;
}

export function translateUpdate(
  update: Update,
  context: InboundContext,
  files: FileSource,
): TranslatedUpdate {
  if (update.message) {
    const message = update.message;
    const inbound = toInboundMessage(message, context, attachmentsOf(message, files));
    return { chat: message.chat, event: inbound ? { type: "message", message: inbound } : null };
  }
  if (update.edited_message) {
    const message = update.edited_message;
    if (isFromBot(message, context.bot)) return { chat: message.chat, event: null };
    return {
      chat: message.chat,
      event: {
        type: "edit",
        chatId: String(message.chat.id),
        messageId: String(message.message_id),
        text: editedText(message, context),
        timestamp: (message.edit_date ?? message.date) * 1000,
      },
    };
  }
  const tap = update.callback_query;
  if (tap?.data && tap.message) {
    return {
      chat: undefined,
      event: {
        type: "choice",
        chatId: String(tap.message.chat.id),
        messageId: String(tap.message.message_id),
        senderId: String(tap.from.id),
        senderName: userName(tap.from),
        choiceId: tap.data,
      },
    };
  }
  return { chat: update.my_chat_member?.chat, event: null };
}
