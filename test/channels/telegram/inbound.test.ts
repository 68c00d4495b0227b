import { test } from "node:test";
import assert from "node:assert/strict";
import type { Message } from "grammy/types";
import {
  resolveMentions,
  toInboundMessage,
  type InboundContext,
} from "../../../src/channels/telegram/inbound.ts";
import { mentionsTrigger } from "../../../src/channels/mention.ts";

const context: InboundContext = { bot: { id: 42, username: "pincer_bot" }, assistantName: "Andy" };
const alice = { id: 7, is_bot: false, first_name: "Alice" };
const forum = { id: -1009, type: "supergroup" as const, title: "Forum", is_forum: true as const };

test("mentions are found by entity, case-insensitively, and offsets survive the rewrite", () => {
  const text = "@PINCER_BOT and @pincer_bot, not @pincer_bot_2";
  const result = resolveMentions(
    text,
    [
      { type: "mention", offset: 0, length: 11 },
      { type: "mention", offset: 16, length: 11 },
      { type: "mention", offset: 33, length: 13 },
    ],
    context,
  );
  assert.deepEqual(result, { text: "@Andy and @Andy, not @pincer_bot_2", mentionsBot: true });
});

test("a typed @handle without an entity is not a platform mention", () => {
  assert.deepEqual(resolveMentions("@pincer_bot hi", [], context), {
    text: "@pincer_bot hi",
    mentionsBot: false,
  });
});

test("a text_mention of the bot and a command addressed to it count as mentions", () => {
  const textMention = resolveMentions(
    "Pincer, help",
    [
      {
        type: "text_mention",
        offset: 0,
        length: 6,
        user: { id: 42, is_bot: true, first_name: "Pincer" },
      },
    ],
    context,
  );
  assert.deepEqual(textMention, { text: "@Andy, help", mentionsBot: true });
  const command = resolveMentions(
    "/status@pincer_bot",
    [{ type: "bot_command", offset: 0, length: 18 }],
    context,
  );
  assert.deepEqual(command, { text: "/status@pincer_bot", mentionsBot: true });
});

test("a text_mention of someone else that reads like the trigger does not count", () => {
  const result = resolveMentions(
    "@Andy, your turn",
    [
      {
        type: "text_mention",
        offset: 0,
        length: 5,
        user: { id: 9, is_bot: false, first_name: "@Andy" },
      },
    ],
    context,
  );
  assert.equal(result.mentionsBot, false);
  assert.match(result.text, /^Andy .*, your turn$/);
  assert.equal(mentionsTrigger(result.text, "@Andy"), false, result.text);
});

test("in a forum topic the implicit reply to the topic's first message is not a reply", () => {
  const topicStart: Message = {
    message_id: 5,
    date: 1,
    chat: forum,
    from: { id: 42, is_bot: true, first_name: "Pincer" },
  };
  const message: Message = {
    message_id: 9,
    date: 2,
    chat: forum,
    from: alice,
    text: "in the topic",
    message_thread_id: 5,
    is_topic_message: true,
    reply_to_message: topicStart as Message & { reply_to_message: undefined },
  };
  const inbound = toInboundMessage(message, context, []);
  assert.equal(inbound?.replyTo, undefined);
  assert.equal(inbound?.mentionsBot, false);
  assert.equal(inbound?.threadId, "5");
});

test("anonymous admins post as the chat; service messages without text are skipped", () => {
  const anonymous: Message = {
    message_id: 3,
    date: 1,
    chat: forum,
    from: { id: 1087968824, is_bot: true, first_name: "Group", username: "GroupAnonymousBot" },
    sender_chat: forum,
    text: "from an admin",
  };
  const inbound = toInboundMessage(anonymous, context, []);
  assert.equal(inbound?.senderId, "-1009");
  assert.equal(inbound?.senderName, "Forum");
  const joined: Message = {
    message_id: 4,
    date: 1,
    chat: forum,
    from: alice,
    new_chat_members: [alice],
  };
  assert.equal(toInboundMessage(joined, context, []), null);
});
