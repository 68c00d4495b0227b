// The Telegram adapter against the loopback Bot API fake, through the real grammY client.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { GrammyError } from "grammy";
import type { Message } from "grammy/types";
import {
  TransientSendError,
  type InboundEvent,
  type InboundMessage,
} from "../../../src/channels/channel.ts";
import { AttachmentTooLargeError } from "../../../src/channels/telegram/attachments.ts";
import {
  TelegramChannel,
  type TelegramChannelOptions,
} from "../../../src/channels/telegram/channel.ts";
import { TELEGRAM_PHOTO_MAX_BYTES } from "../../../src/channels/file-limits.ts";
import { createLogger } from "../../../src/log.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { startTelegramFake, type TelegramFake } from "../../fakes/telegram/server.ts";

const alice = { id: 1001, first_name: "Alice", last_name: "Smith", username: "alice" };
const bob = { id: 1002, first_name: "Bob" };

interface Rig {
  fake: TelegramFake;
  host: RecordingHost;
  channel: TelegramChannel;
}

function makeChannel(
  fake: TelegramFake,
  options: Partial<TelegramChannelOptions> = {},
): TelegramChannel {
  return new TelegramChannel({
    token: fake.token,
    apiRoot: fake.apiRoot,
    assistantName: "Andy",
    logger: createLogger("silent"),
    ...options,
  });
}

async function rig(t: TestContext, options: Partial<TelegramChannelOptions> = {}): Promise<Rig> {
  const fake = await startTelegramFake({ botUsername: "pincer_test_bot" });
  const host = new RecordingHost();
  const channel = makeChannel(fake, options);
  t.after(async () => {
    await channel.stop();
    await fake.close();
  });
  await channel.start(host);
  return { fake, host, channel };
}

function isMessage(sent: Message) {
  return (event: InboundEvent) =>
    event.type === "message" &&
    event.message.chatId === String(sent.chat.id) &&
    event.message.messageId === String(sent.message_id);
}

async function receivedMessage(host: RecordingHost, sent: Message): Promise<InboundMessage> {
  const event = await host.waitForEvent(isMessage(sent));
  assert.equal(event.type, "message");
  return event.message;
}

test("an inbound private message reaches the host with sender, chat and time", async (t) => {
  const { fake, host } = await rig(t);
  assert.equal(host.status, "connected");
  const sent = fake.injectMessage({ chatId: 1001, from: alice, text: "Hello <there> & you" });
  const message = await receivedMessage(host, sent);
  assert.deepEqual(message, {
    chatId: "1001",
    messageId: String(sent.message_id),
    senderId: "1001",
    senderName: "Alice Smith",
    text: "Hello <there> & you",
    timestamp: sent.date * 1000,
    isGroup: false,
    chatName: "Alice Smith",
    mentionsBot: false,
  });
  assert.deepEqual(host.discoveredChats, [{ chatId: "1001", name: "Alice Smith", isGroup: false }]);
});

test("group and forum messages carry isGroup, the chat title and the topic", async (t) => {
  const { fake, host } = await rig(t);
  const group = fake.injectMessage({
    chatId: -300,
    chatType: "group",
    chatTitle: "Family",
    from: bob,
    text: "hi all",
  });
  const topic = fake.injectMessage({
    chatId: -100400,
    chatType: "supergroup",
    chatTitle: "Work",
    messageThreadId: 12,
    from: alice,
    text: "in a topic",
  });
  const fromGroup = await receivedMessage(host, group);
  assert.equal(fromGroup.isGroup, true);
  assert.equal(fromGroup.chatName, "Family");
  assert.equal(fromGroup.senderName, "Bob");
  const fromTopic = await receivedMessage(host, topic);
  assert.equal(fromTopic.isGroup, true);
  assert.equal(fromTopic.chatId, "-100400");
  assert.equal(fromTopic.threadId, "12");
  assert.deepEqual(
    host.discoveredChats.map((chat) => [chat.chatId, chat.name, chat.isGroup]),
    [
      ["-300", "Family", true],
      ["-100400", "Work", true],
    ],
  );
});

test("the bot's own messages are ignored", async (t) => {
  const { fake, host } = await rig(t);
  fake.injectMessage({
    chatId: -300,
    chatType: "group",
    from: { ...fake.bot, first_name: "Pincer" },
    text: "mine",
  });
  const after = fake.injectMessage({ chatId: -300, chatType: "group", from: bob, text: "theirs" });
  await receivedMessage(host, after);
  assert.deepEqual(
    host.received.map((event) => event.type === "message" && event.message.text),
    ["theirs"],
  );
});

test("a mention of the bot sets mentionsBot and becomes @<assistantName> in the text", async (t) => {
  const { fake, host } = await rig(t);
  const mention = fake.injectMessage({
    chatId: -300,
    chatType: "group",
    from: bob,
    text: "hey @Pincer_Test_Bot what's up? cc @someone_else",
  });
  const message = await receivedMessage(host, mention);
  assert.equal(message.mentionsBot, true);
  assert.equal(message.text, "hey @Andy what's up? cc @someone_else");
  const other = fake.injectMessage({
    chatId: -300,
    chatType: "group",
    from: bob,
    text: "ask @someone_else",
  });
  assert.equal((await receivedMessage(host, other)).mentionsBot, false);
});

test("replies carry replyTo; a reply to the bot's own message counts as a mention", async (t) => {
  const { fake, host, channel } = await rig(t);
  const question = fake.injectMessage({
    chatId: -300,
    chatType: "group",
    from: bob,
    text: "question",
  });
  await receivedMessage(host, question);
  const [answerId] = await channel.send("-300", "the **answer**", {});
  const answer = fake.sent.find((message) => String(message.message_id) === answerId) as Message;
  const followUp = fake.injectMessage({
    chatId: -300,
    chatType: "group",
    from: alice,
    text: "why?",
    reply_to_message: answer,
  });
  const toBot = await receivedMessage(host, followUp);
  assert.equal(toBot.mentionsBot, true);
  assert.deepEqual(toBot.replyTo, { messageId: answerId, senderName: "Andy", text: "the answer" });
  const aside = fake.injectMessage({
    chatId: -300,
    chatType: "group",
    from: alice,
    text: "agreed",
    reply_to_message: question,
  });
  const toBob = await receivedMessage(host, aside);
  assert.equal(toBob.mentionsBot, false);
  assert.deepEqual(toBob.replyTo, {
    messageId: String(question.message_id),
    senderName: "Bob",
    text: "question",
  });
});

test("an edited message becomes an edit event", async (t) => {
  const { fake, host } = await rig(t);
  const original = fake.injectMessage({ chatId: 1001, from: alice, text: "typo" });
  await receivedMessage(host, original);
  const edited = fake.injectEdit({
    chatId: 1001,
    messageId: original.message_id,
    text: "fixed @pincer_test_bot",
  });
  const event = await host.waitForEvent((e) => e.type === "edit");
  assert.deepEqual(event, {
    type: "edit",
    chatId: "1001",
    messageId: String(original.message_id),
    text: "fixed @Andy",
    timestamp: (edited.edit_date ?? 0) * 1000,
  });
});

test("a 10,000-character Markdown reply with a code block arrives split, as valid HTML", async (t) => {
  const { fake, host, channel } = await rig(t);
  const question = fake.injectMessage({ chatId: 1001, from: alice, text: "write a lot" });
  await receivedMessage(host, question);
  const prose = Array.from(
    { length: 40 },
    (_, i) => `Paragraph ${i}: **bold** a < b & c > d, see \`x<y>\`.`,
  ).join("\n\n");
  const codeLines = Array.from(
    { length: 170 },
    (_, i) => `const value${i} = a < b && c > "d"; // **not bold**`,
  );
  const code = codeLines.join("\n");
  const outro = Array.from({ length: 30 }, (_, i) => `Closing remark ${i} with _emphasis_.`).join(
    "\n\n",
  );
  const markdown = `${prose}\n\n\`\`\`ts\n${code}\n\`\`\`\n\n${outro}`;
  assert.ok(markdown.length >= 10_000, `reply is ${markdown.length} characters`);

  const ids = await channel.send("1001", markdown, {});

  assert.ok(ids.length >= 3, `split into ${ids.length} messages`);
  const sent = fake.sent.slice(-ids.length);
  assert.deepEqual(
    sent.map((message) => String(message.message_id)),
    ids,
  );
  for (const message of sent) assert.ok((message.text ?? "").length <= 4096);
  const calls = fake.calls.filter((call) => call.method === "sendMessage").slice(-ids.length);
  assert.ok(calls.every((call) => call.params.parse_mode === "HTML" && call.status === 200));
  assert.match(
    String(calls[0]?.params.text),
    /Paragraph 0: <b>bold<\/b> a &lt; b &amp; c &gt; d, see <code>x&lt;y&gt;<\/code>\./,
  );
  // The code block is cut between messages and reopened, with its language, in each.
  const blocks = sent.flatMap((message) =>
    (message.entities ?? [])
      .filter((entity) => entity.type === "pre")
      .map((entity) => {
        assert.equal("language" in entity && entity.language, "ts");
        return (message.text ?? "").slice(entity.offset, entity.offset + entity.length);
      }),
  );
  assert.ok(blocks.length >= 2, `code block spread over ${blocks.length} messages`);
  assert.equal(blocks.join("\n"), code);
  const visible = sent.map((message) => message.text ?? "").join("\n");
  assert.ok(visible.includes("Paragraph 39: bold a < b & c > d, see x<y>."));
  assert.ok(visible.includes("Closing remark 29 with emphasis."));
});

test("a 429 on sendMessage becomes TransientSendError with retry_after", async (t) => {
  const { fake, channel } = await rig(t);
  fake.injectMessage({ chatId: 1001, from: alice, text: "hi" });
  fake.failNext("sendMessage", {
    status: 429,
    description: "Too Many Requests: retry after 17",
    retry_after: 17,
  });
  await assert.rejects(channel.send("1001", "reply", {}), (error: unknown) => {
    assert.ok(error instanceof TransientSendError);
    assert.equal(error.retryAfterMs, 17_000);
    return true;
  });
  fake.failNext("sendMessage", { status: 500, description: "Internal Server Error" });
  await assert.rejects(channel.send("1001", "reply", {}), TransientSendError);
  fake.failNext("sendMessage", { dropConnection: true });
  await assert.rejects(channel.send("1001", "reply", {}), TransientSendError);
  fake.failNext("sendMessage", {
    status: 403,
    description: "Forbidden: bot was blocked by the user",
  });
  await assert.rejects(channel.send("1001", "reply", {}), (error: unknown) => {
    assert.ok(!(error instanceof TransientSendError));
    assert.ok(error instanceof GrammyError && error.error_code === 403);
    return true;
  });
});

test("a rate limit on a later chunk is waited out in place, so earlier chunks are not repeated", async (t) => {
  const { fake, channel } = await rig(t);
  fake.injectMessage({ chatId: 1001, from: alice, text: "hi" });
  fake.failNext("sendMessage", {
    status: 429,
    description: "Too Many Requests: retry after 1",
    retry_after: 1,
    skip: 1,
  });
  const markdown = `${"first part. ".repeat(300)}\n\n${"second part. ".repeat(300)}`;
  const ids = await channel.send("1001", markdown, {});
  assert.equal(ids.length, 2);
  const statuses = fake.calls
    .filter((call) => call.method === "sendMessage")
    .map((call) => call.status);
  assert.deepEqual(statuses, [200, 429, 200]);
});

test("HTML that Telegram refuses is resent as plain text", async (t) => {
  const { fake, channel } = await rig(t);
  fake.injectMessage({ chatId: 1001, from: alice, text: "hi" });
  fake.failNext("sendMessage", {
    status: 400,
    description: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
  });
  const [id] = await channel.send("1001", "**plain** after all", {});
  const message = fake.sent.find((m) => String(m.message_id) === id);
  assert.equal(message?.text, "**plain** after all");
  assert.equal(message?.entities, undefined);
});

test("send keeps replies in the forum topic", async (t) => {
  const { fake, host, channel } = await rig(t);
  const topic = fake.injectMessage({
    chatId: -100400,
    chatType: "supergroup",
    messageThreadId: 12,
    from: alice,
    text: "q",
  });
  await receivedMessage(host, topic);
  await channel.send("-100400", "first", { threadId: "12" });
  const [message] = fake.sent.slice(-1);
  assert.equal(message?.message_thread_id, 12);
});

test("dropping connections mid-poll reconnects, and the next message arrives exactly once", async (t) => {
  const { fake, host } = await rig(t);
  const first = fake.injectMessage({ chatId: 1001, from: alice, text: "before" });
  await receivedMessage(host, first);
  await fake.waitForCall(
    "getUpdates",
    (call) => Number(call.params.offset) > 0 && call.status === undefined,
  );
  fake.dropConnections();
  await host.waitForCurrentStatus("reconnecting");
  await host.waitForCurrentStatus("connected");
  const next = fake.injectMessage({ chatId: 1001, from: alice, text: "after" });
  await receivedMessage(host, next);
  const last = fake.injectMessage({ chatId: 1001, from: alice, text: "later" });
  await receivedMessage(host, last);
  assert.deepEqual(
    host.received.map((event) => event.type === "message" && event.message.text),
    ["before", "after", "later"],
  );
});

test("a bad token reports auth_failed, resolves start and does not poll", async (t) => {
  const fake = await startTelegramFake();
  t.after(() => fake.close());
  const host = new RecordingHost();
  const channel = makeChannel(fake, { token: "42:not-the-token" });
  await channel.start(host);
  assert.equal(host.status, "auth_failed");
  assert.match(host.states.at(-1)?.detail ?? "", /401 Unauthorized/);
  assert.deepEqual(
    fake.calls.map((call) => [call.method, call.status]),
    [["getMe", 401]],
  );
  await channel.stop();
  assert.equal(host.status, "stopped");
});

test("a token revoked while polling ends in auth_failed instead of a retry loop", async (t) => {
  const { fake, host } = await rig(t);
  fake.failNext("getUpdates", { status: 401, description: "Unauthorized" });
  fake.dropConnections();
  const state = await host.waitForCurrentStatus("auth_failed");
  assert.match(state.detail ?? "", /401 Unauthorized/);
});

test("Telegram unreachable at start: reconnecting, then connected and receiving", async (t) => {
  const fake = await startTelegramFake();
  const host = new RecordingHost();
  const channel = makeChannel(fake);
  t.after(async () => {
    await channel.stop();
    await fake.close();
  });
  fake.failNext("getMe", { status: 502, description: "Bad Gateway" });
  await channel.start(host);
  assert.equal(host.status, "reconnecting");
  await host.waitForCurrentStatus("connected");
  const message = fake.injectMessage({ chatId: 1001, from: alice, text: "there you are" });
  await receivedMessage(host, message);
});

test("an update is confirmed only after the host stored it; a failed store is retried", async (t) => {
  const { fake, host } = await rig(t);
  let failures = 1;
  host.onReceive = async () => {
    if (failures-- > 0) throw new Error("database is locked");
  };
  const message = fake.injectMessage({ chatId: 1001, from: alice, text: "keep me" });
  await host.waitForEvent(isMessage(message), 1);
  const updateId = fake.pendingUpdateIds()[0] ?? 0;
  await fake.waitForCall("getUpdates", (call) => Number(call.params.offset) === updateId + 1);
  assert.deepEqual(fake.pendingUpdateIds(), []);
});

test("a message whose store never finished is delivered again after a restart", async (t) => {
  const fake = await startTelegramFake();
  t.after(() => fake.close());
  const crashed = new RecordingHost();
  let failStore: (error: Error) => void = () => undefined;
  crashed.onReceive = () => new Promise((_, reject) => (failStore = reject));
  const first = makeChannel(fake);
  await first.start(crashed);
  const message = fake.injectMessage({ chatId: 1001, from: alice, text: "do not lose me" });
  await crashed.waitForEvent(isMessage(message));
  const stopping = first.stop();
  failStore(new Error("process is going down"));
  await stopping;

  const host = new RecordingHost();
  const second = makeChannel(fake);
  t.after(() => second.stop());
  await second.start(host);
  const again = await receivedMessage(host, message);
  assert.equal(again.text, "do not lose me");
});

test("react sets, replaces and clears the bot's reaction", async (t) => {
  const { fake, host, channel } = await rig(t);
  const target = fake.injectMessage({ chatId: 1001, from: alice, text: "react" });
  await receivedMessage(host, target);
  await channel.react("1001", String(target.message_id), "👀");
  assert.deepEqual(fake.reactionsOn(1001, target.message_id), [{ type: "emoji", emoji: "👀" }]);
  await channel.react("1001", String(target.message_id), "❤️");
  assert.deepEqual(fake.reactionsOn(1001, target.message_id), [{ type: "emoji", emoji: "❤" }]);
  await channel.react("1001", String(target.message_id), null);
  assert.deepEqual(fake.reactionsOn(1001, target.message_id), []);
  await assert.rejects(channel.react("1001", String(target.message_id), "🦀"), /does not offer/);
});

test("typing is sent, refreshed, and stops for a chat that gets a reply", async (t) => {
  const { fake, host, channel } = await rig(t);
  for (const chatId of [1001, 1002]) {
    const message = fake.injectMessage({ chatId, from: chatId === 1001 ? alice : bob, text: "hi" });
    await receivedMessage(host, message);
  }
  const typingIn =
    (chatId: number, afterSeq: number) =>
    (call: { seq: number; params: Record<string, unknown> }) =>
      call.seq > afterSeq &&
      Number(call.params.chat_id) === chatId &&
      call.params.action === "typing";
  await channel.setTyping("1001", true);
  await channel.setTyping("1002", true);
  const firstA = await fake.waitForCall("sendChatAction", typingIn(1001, -1));
  await fake.waitForCall("sendChatAction", typingIn(1001, firstA.seq));
  await channel.send("1001", "done", {});
  const sentAt = fake.calls.at(-1)?.seq ?? 0;
  // Chat 1002's refreshes are the clock: a full refresh period passes between two of them.
  const nextB = await fake.waitForCall("sendChatAction", typingIn(1002, sentAt), 20_000);
  await fake.waitForCall("sendChatAction", typingIn(1002, nextB.seq), 20_000);
  assert.equal(fake.calls.filter(typingIn(1001, sentAt)).length, 0);
  await channel.setTyping("1002", false);
});

test("photos, documents and voice notes download through getFile, within the size cap", async (t) => {
  const { fake, host } = await rig(t, { maxAttachmentBytes: 1000 });
  const photoBytes = new Uint8Array(600).map((_, i) => i % 251);
  const photo = fake.injectMessage({
    chatId: 1001,
    from: alice,
    caption: "look",
    photo: photoBytes,
  });
  const image = await receivedMessage(host, photo);
  assert.equal(image.text, "look");
  assert.equal(image.attachments?.length, 1);
  const [picture] = image.attachments ?? [];
  assert.equal(picture?.kind, "image");
  assert.equal(picture?.size, 600);
  assert.deepEqual(await picture?.download(), photoBytes);

  const voice = fake.injectMessage({
    chatId: 1001,
    from: alice,
    voice: { bytes: new Uint8Array([1, 2, 3]), duration: 42 },
  });
  const [note] = (await receivedMessage(host, voice)).attachments ?? [];
  assert.equal(note?.kind, "audio");
  assert.equal(note?.mimeType, "audio/ogg");
  assert.equal(note?.voice, true);
  assert.equal(note?.durationSeconds, 42);
  assert.deepEqual(await note?.download(), new Uint8Array([1, 2, 3]));

  const big = fake.injectMessage({
    chatId: 1001,
    from: alice,
    caption: "too big",
    document: { bytes: new Uint8Array(5000), fileName: "big.pdf", mimeType: "application/pdf" },
  });
  const [file] = (await receivedMessage(host, big)).attachments ?? [];
  assert.equal(file?.fileName, "big.pdf");
  assert.equal(file?.voice, undefined, "only voice notes are voice");
  assert.equal(file?.size, 5000);
  const getFileCalls = fake.calls.filter((call) => call.method === "getFile").length;
  await assert.rejects(file?.download() ?? Promise.resolve(), AttachmentTooLargeError);
  assert.equal(fake.calls.filter((call) => call.method === "getFile").length, getFileCalls);
});

test("sendChoices shows an inline keyboard; a tap comes in as a choice and is answered", async (t) => {
  const { fake, host, channel } = await rig(t);
  fake.injectMessage({ chatId: alice.id, from: alice, text: "hi" });
  await host.waitForEvent((event) => event.type === "message");
  const [id] = await channel.sendChoices(
    String(alice.id),
    "Which **day**?",
    [
      { id: "ask:q1:0", label: "Tuesday" },
      { id: "ask:q1:1", label: "Friday" },
    ],
    {},
  );
  const sent = fake.messageNow(alice.id, Number(id))!;
  assert.equal(sent.text, "Which day?");
  assert.deepEqual(sent.reply_markup, {
    inline_keyboard: [
      [{ text: "Tuesday", callback_data: "ask:q1:0" }],
      [{ text: "Friday", callback_data: "ask:q1:1" }],
    ],
  });

  const queryId = fake.injectCallbackQuery({
    chatId: alice.id,
    messageId: Number(id),
    from: bob,
    data: "ask:q1:1",
  });
  const tap = await host.waitForEvent((event) => event.type === "choice");
  assert.deepEqual(tap, {
    type: "choice",
    chatId: String(alice.id),
    messageId: id,
    senderId: String(bob.id),
    senderName: "Bob",
    choiceId: "ask:q1:1",
  });
  await fake.waitForCall(
    "answerCallbackQuery",
    (call) => call.params.callback_query_id === queryId,
  );
  assert.deepEqual(fake.answeredCallbacks, [queryId]);

  await channel.closeChoices(String(alice.id), [id!], "Which **day**?\n\n✓ Friday (Bob)");
  const closed = fake.messageNow(alice.id, Number(id))!;
  // Review: the closed question showed its Markdown raw ("Which **day**?"); it is rendered
  // like every reply now.
  assert.equal(closed.text, "Which day?\n\n✓ Friday (Bob)");
  assert.deepEqual(closed.entities, [{ type: "bold", offset: 6, length: 3 }]);
  assert.equal(closed.reply_markup, undefined, "the keyboard is gone");
});

test("closeChoices with no text only takes the keyboard off", async (t) => {
  const { fake, host, channel } = await rig(t);
  fake.injectMessage({ chatId: alice.id, from: alice, text: "hi" });
  await host.waitForEvent((event) => event.type === "message");
  const [id] = await channel.sendChoices(
    String(alice.id),
    "Yes or no?",
    [
      { id: "ask:q2:0", label: "Yes" },
      { id: "ask:q2:1", label: "No" },
    ],
    {},
  );
  await channel.closeChoices(String(alice.id), [id!], null);
  const closed = fake.messageNow(alice.id, Number(id))!;
  assert.equal(closed.text, "Yes or no?");
  assert.equal(closed.reply_markup, undefined);
});

test("an image over sendPhoto's 10 MB goes as a document, a GIF too", async (t) => {
  const { fake, host, channel } = await rig(t);
  await receivedMessage(host, fake.injectMessage({ chatId: 1001, from: alice, text: "hi" }));
  const dir = mkdtempSync(join(tmpdir(), "pincer-telegram-file-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, mimeType: string, size: number) => {
    writeFileSync(join(dir, name), "");
    truncateSync(join(dir, name), size);
    return { name, mimeType, size, path: join(dir, name) };
  };
  await channel.sendFile("1001", file("large.png", "image/png", TELEGRAM_PHOTO_MAX_BYTES + 1), {});
  await channel.sendFile("1001", file("moving.gif", "image/gif", 100), {});
  await channel.sendFile("1001", file("small.jpg", "image/jpeg", 100), { caption: "**look**" });
  const methods = fake.calls
    .filter((call) => call.method === "sendPhoto" || call.method === "sendDocument")
    .map((call) => call.method);
  assert.deepEqual(methods, ["sendDocument", "sendDocument", "sendPhoto"]);
  const photo = fake.sent.at(-1)!;
  assert.equal(photo.caption, "look");
  assert.deepEqual(photo.caption_entities, [{ type: "bold", offset: 0, length: 4 }]);
});
