// The Telegram fake's own protocol, exercised through the real grammY client.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, Bot, GrammyError, HttpError, InputFile } from "grammy";
import { startTelegramFake, type TelegramFake } from "../../fakes/telegram/server.ts";
import type { UploadedFile } from "../../fakes/telegram/multipart.ts";

let fake: TelegramFake;
let api: Api;
const alice = { id: 1001, first_name: "Alice", username: "alice" };

before(async () => {
  fake = await startTelegramFake({ botUsername: "pincer_test_bot" });
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
});

after(async () => {
  await fake.close();
});

async function drain(): Promise<void> {
  const pending = fake.pendingUpdateIds();
  const last = pending.at(-1);
  if (last !== undefined) await api.getUpdates({ offset: last + 1, timeout: 0 });
}

test("getMe answers with the bot; a wrong token gets 401 Unauthorized", async () => {
  const me = await api.getMe();
  assert.equal(me.username, "pincer_test_bot");
  assert.equal(me.id, fake.bot.id);
  const wrong = new Api("999:wrong", { apiRoot: fake.apiRoot });
  await assert.rejects(wrong.getMe(), (error: unknown) => {
    assert.ok(error instanceof GrammyError);
    assert.equal(error.error_code, 401);
    assert.equal(error.description, "Unauthorized");
    return true;
  });
  const raw = await fetch(`${fake.apiRoot}/bot999:wrong/getMe`, { method: "POST" });
  assert.equal(raw.status, 401);
  assert.deepEqual(await raw.json(), { ok: false, error_code: 401, description: "Unauthorized" });
});

test("a long poll returns as soon as an update is injected", async () => {
  await drain();
  const mark = fake.calls.length;
  const polling = api.getUpdates({ timeout: 30 });
  await fake.waitForCall("getUpdates", (call) => call.seq >= mark);
  const message = fake.injectMessage({ chatId: 1001, from: alice, text: "hello" });
  const updates = await polling;
  assert.equal(updates.length, 1);
  assert.equal(updates[0]?.message?.message_id, message.message_id);
  assert.equal(updates[0]?.message?.text, "hello");
  assert.equal(updates[0]?.message?.chat.type, "private");
});

test("updates carry increasing ids and are redelivered until an offset confirms them", async () => {
  await drain();
  fake.injectMessage({ chatId: 1001, from: alice, text: "one" });
  fake.injectMessage({ chatId: 1001, from: alice, text: "two" });
  const first = await api.getUpdates({ timeout: 0 });
  assert.deepEqual(
    first.map((update) => update.message?.text),
    ["one", "two"],
  );
  const [a, b] = first.map((update) => update.update_id);
  assert.ok(a !== undefined && b !== undefined && b > a);
  const again = await api.getUpdates({ timeout: 0 });
  assert.deepEqual(
    again.map((update) => update.update_id),
    [a, b],
  );
  const rest = await api.getUpdates({ offset: a + 1, timeout: 0 });
  assert.deepEqual(
    rest.map((update) => update.update_id),
    [b],
  );
  assert.deepEqual(fake.pendingUpdateIds(), [b]);
  await api.getUpdates({ offset: b + 1, timeout: 0 });
  assert.deepEqual(fake.pendingUpdateIds(), []);
});

test("allowed_updates filters update types and sticks for later polls", async () => {
  await drain();
  fake.injectUpdate({
    message_reaction: {
      chat: { id: 1001, type: "private", first_name: "Alice" },
      message_id: 1,
      date: 0,
      old_reaction: [],
      new_reaction: [{ type: "emoji", emoji: "👍" }],
    },
  });
  fake.injectMessage({ chatId: 1001, from: alice, text: "kept" });
  const updates = await api.getUpdates({ timeout: 0, allowed_updates: ["message"] });
  assert.deepEqual(
    updates.map((update) => Object.keys(update).sort()),
    [["message", "update_id"]],
  );
  await drain();
  const kept = updates[0]?.message?.message_id ?? 0;
  fake.injectEdit({ chatId: 1001, messageId: kept, text: "kept, edited" });
  assert.deepEqual(
    await api.getUpdates({ timeout: 0 }),
    [],
    "edits stay filtered without allowed_updates",
  );
  fake.injectEdit({ chatId: 1001, messageId: kept, text: "kept, edited again" });
  const reset = await api.getUpdates({ timeout: 0, allowed_updates: [] });
  assert.equal(reset[0]?.edited_message?.text, "kept, edited again");
  await drain();
});

test("grammY's own bot.start() polls the fake and replies with HTML in a reply", async () => {
  await drain();
  const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
  bot.on("message:text", async (ctx) => {
    await ctx.reply(
      `<b>echo</b> ${ctx.message.text.replace(/&/g, "&amp;").replace(/</g, "&lt;")}`,
      {
        parse_mode: "HTML",
        reply_parameters: { message_id: ctx.message.message_id },
      },
    );
  });
  const started = new Promise<void>((resolve) => void bot.start({ onStart: () => resolve() }));
  await started;
  const incoming = fake.injectMessage({ chatId: 1001, from: alice, text: "a < b" });
  const call = await fake.waitForCall(
    "sendMessage",
    (c) => c.params.text === "<b>echo</b> a &lt; b",
  );
  await bot.stop();
  assert.equal(call.params.parse_mode, "HTML");
  const sent = fake.sent.at(-1);
  assert.equal(sent?.text, "echo a < b");
  assert.deepEqual(sent?.entities, [{ type: "bold", offset: 0, length: 4 }]);
  assert.equal(sent?.reply_to_message?.message_id, incoming.message_id);
  assert.deepEqual(fake.pendingUpdateIds(), [], "bot.stop() confirmed the handled update");
});

test("sendMessage rejects bad HTML, overlong text, unknown chats and missing reply targets", async () => {
  fake.injectMessage({ chatId: 1001, from: alice, text: "hi" });
  await drain();
  const expect400 = async (call: Promise<unknown>, description: RegExp) =>
    assert.rejects(call, (error: unknown) => {
      assert.ok(error instanceof GrammyError);
      assert.equal(error.error_code, 400);
      assert.match(error.description, description);
      return true;
    });
  await expect400(
    api.sendMessage(1001, "<b>open", { parse_mode: "HTML" }),
    /can't parse entities: Can't find end tag/,
  );
  await expect400(
    api.sendMessage(1001, "a < b", { parse_mode: "HTML" }),
    /Unsupported start tag ""/,
  );
  await expect400(api.sendMessage(1001, "<b>x</i>", { parse_mode: "HTML" }), /Unmatched end tag/);
  await expect400(
    api.sendMessage(1001, "<script>x</script>", { parse_mode: "HTML" }),
    /Unsupported start tag "script"/,
  );
  await expect400(api.sendMessage(1001, "x".repeat(4097)), /message is too long/);
  await expect400(api.sendMessage(4242, "hello"), /chat not found/);
  await expect400(
    api.sendMessage(1001, "hi", { reply_parameters: { message_id: 999 } }),
    /message to be replied not found/,
  );
  const tolerated = await api.sendMessage(1001, "hi", {
    reply_parameters: { message_id: 999, allow_sending_without_reply: true },
  });
  assert.equal(tolerated.reply_to_message, undefined);
  // Entity markup does not count towards the 4096 limit; a bare & stays literal.
  const long = await api.sendMessage(1001, `<b>${"y".repeat(4096)}</b>`, { parse_mode: "HTML" });
  assert.equal(long.text?.length, 4096);
  const amp = await api.sendMessage(1001, "Q&A &amp; <code>&lt;x&gt;</code>", {
    parse_mode: "HTML",
  });
  assert.equal(amp.text, "Q&A & <x>");
});

test("pre with a language, links and thread ids come back as entities and fields", async () => {
  fake.injectMessage({
    chatId: -100200,
    chatType: "supergroup",
    chatTitle: "Forum",
    messageThreadId: 7,
    from: alice,
    text: "t",
  });
  await drain();
  const sent = await api.sendMessage(
    -100200,
    '<pre><code class="language-ts">let a = 1;</code></pre>\n<a href="https://e.com/?a=1&amp;b=2">link</a>',
    { parse_mode: "HTML", message_thread_id: 7 },
  );
  assert.equal(sent.text, "let a = 1;\nlink");
  assert.deepEqual(sent.entities, [
    { type: "pre", offset: 0, length: 10, language: "ts" },
    { type: "text_link", offset: 11, length: 4, url: "https://e.com/?a=1&b=2" },
  ]);
  assert.equal(sent.message_thread_id, 7);
  assert.equal(sent.is_topic_message, true);
});

test("editMessageText edits the bot's message and refuses a no-op edit", async () => {
  const sent = await api.sendMessage(1001, "draft");
  const edited = await api.editMessageText(1001, sent.message_id, "<i>final</i>", {
    parse_mode: "HTML",
  });
  assert.ok(typeof edited === "object" && "text" in edited);
  assert.equal(edited.text, "final");
  assert.deepEqual(edited.entities, [{ type: "italic", offset: 0, length: 5 }]);
  await assert.rejects(
    api.editMessageText(1001, sent.message_id, "<i>final</i>", { parse_mode: "HTML" }),
    /message is not modified/,
  );
});

test("failNext injects errors with retry_after, after skipping calls, or drops the connection", async () => {
  fake.failNext("sendMessage", {
    status: 429,
    description: "Too Many Requests: retry after 7",
    retry_after: 7,
  });
  await assert.rejects(api.sendMessage(1001, "x"), (error: unknown) => {
    assert.ok(error instanceof GrammyError);
    assert.equal(error.error_code, 429);
    assert.equal(error.parameters.retry_after, 7);
    return true;
  });
  fake.failNext("sendMessage", { status: 502, description: "Bad Gateway", skip: 1 });
  await api.sendMessage(1001, "passes");
  await assert.rejects(api.sendMessage(1001, "fails"), /502: Bad Gateway/);
  await api.sendMessage(1001, "passes again");
  fake.failNext("sendMessage", { dropConnection: true });
  await assert.rejects(
    api.sendMessage(1001, "dropped"),
    (error: unknown) => error instanceof HttpError,
  );
});

test("dropConnections breaks a long poll in the middle of the request", async () => {
  await drain();
  const mark = fake.calls.length;
  const polling = api.getUpdates({ timeout: 30 });
  await fake.waitForCall("getUpdates", (call) => call.seq >= mark);
  fake.dropConnections();
  await assert.rejects(polling, (error: unknown) => error instanceof HttpError);
  fake.injectMessage({ chatId: 1001, from: alice, text: "after the drop" });
  const updates = await api.getUpdates({ timeout: 30 });
  assert.equal(updates.at(-1)?.message?.text, "after the drop");
  await drain();
});

test("a second long poll terminates the first with 409 Conflict", async () => {
  await drain();
  const mark = fake.calls.length;
  const first = api.getUpdates({ timeout: 30 });
  await fake.waitForCall("getUpdates", (call) => call.seq >= mark);
  const second = api.getUpdates({ timeout: 30 });
  await assert.rejects(
    first,
    (error: unknown) => error instanceof GrammyError && error.error_code === 409,
  );
  fake.injectMessage({ chatId: 1001, from: alice, text: "for the second" });
  assert.equal((await second).at(-1)?.message?.text, "for the second");
  await drain();
});

test("sendDocument uploads multipart; getFile and the file URL give the bytes back", async () => {
  const bytes = new TextEncoder().encode("report contents\u0000\u00ff");
  const message = await api.sendDocument(1001, new InputFile(bytes, "report.txt"), {
    caption: "<b>Report</b>",
    parse_mode: "HTML",
  });
  assert.equal(message.document?.file_name, "report.txt");
  assert.equal(message.caption, "Report");
  assert.deepEqual(message.caption_entities, [{ type: "bold", offset: 0, length: 6 }]);
  const call = await fake.waitForCall("sendDocument");
  assert.deepEqual((call.params.document as UploadedFile).bytes, bytes);
  const file = await api.getFile(message.document?.file_id ?? "");
  assert.equal(file.file_size, bytes.length);
  const download = await fetch(`${fake.apiRoot}/file/bot${fake.token}/${file.file_path}`);
  assert.deepEqual(new Uint8Array(await download.arrayBuffer()), bytes);
  const photo = await api.sendPhoto(1001, new InputFile(bytes, "p.jpg"));
  assert.equal(photo.photo?.[0]?.file_size, bytes.length);
  await assert.rejects(api.getFile("nope"), /invalid file_id/);
  const missing = await fetch(`${fake.apiRoot}/file/bot${fake.token}/documents/none`);
  assert.equal(missing.status, 404);
});

test("setMessageReaction replaces the reaction and validates emoji; chat actions are checked", async () => {
  const target = fake.injectMessage({ chatId: 1001, from: alice, text: "react to me" });
  await drain();
  await api.setMessageReaction(1001, target.message_id, [{ type: "emoji", emoji: "👀" }]);
  assert.deepEqual(fake.reactionsOn(1001, target.message_id), [{ type: "emoji", emoji: "👀" }]);
  await api.setMessageReaction(1001, target.message_id, [{ type: "emoji", emoji: "👍" }]);
  assert.deepEqual(fake.reactionsOn(1001, target.message_id), [{ type: "emoji", emoji: "👍" }]);
  await api.setMessageReaction(1001, target.message_id, []);
  assert.deepEqual(fake.reactionsOn(1001, target.message_id), []);
  await assert.rejects(
    api.setMessageReaction(1001, target.message_id, [{ type: "emoji", emoji: "🦀" as "👍" }]),
    /REACTION_INVALID/,
  );
  await assert.rejects(api.setMessageReaction(1001, 99_999, []), /MESSAGE_ID_INVALID/);
  assert.equal(await api.sendChatAction(1001, "typing"), true);
  await assert.rejects(api.sendChatAction(1001, "dancing" as "typing"), /wrong parameter action/);
});

test("getChat describes known chats; mention entities are detected like the server does", async () => {
  const message = fake.injectMessage({
    chatId: -5001,
    chatType: "group",
    chatTitle: "Team",
    from: alice,
    text: "hey @pincer_test_bot run /status@pincer_test_bot",
  });
  await drain();
  const chat = await api.getChat(-5001);
  assert.equal(chat.type, "group");
  assert.equal(chat.title, "Team");
  assert.deepEqual(message.entities, [
    { type: "mention", offset: 4, length: 16 },
    { type: "bot_command", offset: 25, length: 23 },
  ]);
  await assert.rejects(api.getChat(-777), /chat not found/);
});
