// Bot API updates as the core's events, each with the chat it showed the bot in.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Update } from "grammy/types";
import type { FileSource } from "../../../src/channels/telegram/attachments.ts";
import type { InboundContext } from "../../../src/channels/telegram/inbound.ts";
import { translateUpdate } from "../../../src/channels/telegram/updates.ts";

const context: InboundContext = { bot: { id: 42, username: "pincer_bot" }, assistantName: "Andy" };
const files = {} as FileSource;
const alice = { id: 7, is_bot: false, first_name: "Alice" };
const bot = { id: 42, is_bot: true, first_name: "Pincer", username: "pincer_bot" };
const group = { id: -5, type: "group" as const, title: "Family" };
const message = { message_id: 3, date: 100, chat: group, from: alice, text: "hi" };

test("a message is an event in its chat", () => {
  const { event, chat } = translateUpdate({ update_id: 1, message } as Update, context, files);
  assert.equal(chat, group);
  assert.equal(event?.type, "message");
  assert.equal(event?.type === "message" && event.message.text, "hi");
});

test("an edit carries its time; the bot's own edit is no event, its chat still shows", () => {
  const edited = { ...message, text: "hello", edit_date: 200 };
  const update = { update_id: 2, edited_message: edited } as Update;
  assert.deepEqual(translateUpdate(update, context, files), {
    chat: group,
    event: { type: "edit", chatId: "-5", messageId: "3", text: "hello", timestamp: 200_000 },
  });
  const own = { update_id: 3, edited_message: { ...edited, from: bot } } as Update;
  assert.deepEqual(translateUpdate(own, context, files), { chat: group, event: null });
});

test("a button tap is a choice; the bot joining a chat only shows the chat", () => {
  const tap = {
    update_id: 4,
    callback_query: { id: "q", from: alice, chat_instance: "i", data: "q1:0", message },
  } as Update;
  assert.deepEqual(translateUpdate(tap, context, files), {
    chat: undefined,
    event: {
      type: "choice",
      chatId: "-5",
      messageId: "3",
      senderId: "7",
      senderName: "Alice",
      choiceId: "q1:0",
    },
  });
  const joined = {
    update_id: 5,
    my_chat_member: { chat: group, from: alice, date: 1 },
  } as unknown as Update;
  assert.deepEqual(translateUpdate(joined, context, files), { chat: group, event: null });
});
