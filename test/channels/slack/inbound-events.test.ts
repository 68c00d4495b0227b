import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { InboundEvent } from "../../../src/channels/channel.ts";
import {
  ALICE,
  ALICE_DM,
  BOB,
  GENERAL,
  startSlackHarness,
  type SlackHarness,
} from "../../fakes/slack/harness.ts";
import { messageWithText } from "../../fakes/slack/recording-host.ts";

type EditEvent = Extract<InboundEvent, { type: "edit" }>;
type DeleteEvent = Extract<InboundEvent, { type: "delete" }>;

describe("Slack inbound through Bolt Socket Mode", () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness({ maxAttachmentBytes: 64 });
  });
  after(() => h.close());

  test("the adapter connects and lists the conversations it is in", async () => {
    assert.equal(h.host.status, "connected");
    assert.deepEqual(h.host.states[0], { status: "connecting" });
    await h.fake.waitForCall("conversations.list");
    await h.host.waitForDiscovered(GENERAL);
    await h.host.waitForDiscovered(ALICE_DM);
    assert.deepEqual(
      h.host.discoveredChats.find((chat) => chat.chatId === ALICE_DM),
      { chatId: ALICE_DM, name: "alice", isGroup: false },
    );
  });

  test("a channel message arrives with sender, chat and decoded text", async () => {
    const ts = h.fake.injectMessage({
      channel: GENERAL,
      user: ALICE,
      text: "hi <@U0BOB> &amp; all &lt;3",
    });
    const { message } = await h.host.waitForEvent(messageWithText("hi @Bob Builder & all <3"));
    assert.deepEqual(
      { ...message, timestamp: 0 },
      {
        chatId: GENERAL,
        messageId: ts,
        senderId: ALICE,
        senderName: "alice",
        text: "hi @Bob Builder & all <3",
        timestamp: 0,
        isGroup: true,
        chatName: "general",
        mentionsBot: false,
      },
    );
    assert.equal(message.timestamp, Math.floor(Number(ts) * 1000));
    assert.ok(
      h.host.discoveredChats.some(
        (chat) => chat.chatId === GENERAL && chat.name === "general" && chat.isGroup,
      ),
    );
    await h.fake.waitForEnvelope((e) => e.event.ts === ts && e.acked);
  });

  test("users and channels are looked up once, then cached", async () => {
    h.fake.injectMessage({ channel: GENERAL, user: BOB, text: "cache one" });
    h.fake.injectMessage({ channel: GENERAL, user: BOB, text: "cache two" });
    await h.host.waitForEvent(messageWithText("cache one"));
    await h.host.waitForEvent(messageWithText("cache two"));
    const lookups = h.fake.calls.filter((c) => c.method === "users.info" && c.params.user === BOB);
    assert.equal(lookups.length, 1);
    const channelLookups = h.fake.calls.filter(
      (c) => c.method === "conversations.info" && c.params.channel === GENERAL,
    );
    assert.equal(channelLookups.length, 1);
  });

  test("a direct message is not a group and is named after the person", async () => {
    h.fake.injectMessage({ channel: ALICE_DM, user: ALICE, text: "just us" });
    const { message } = await h.host.waitForEvent(messageWithText("just us"));
    assert.equal(message.isGroup, false);
    assert.equal(message.chatName, "alice");
  });

  test("a reply in a thread carries the thread's ts", async () => {
    const parent = h.fake.injectMessage({ channel: GENERAL, user: ALICE, text: "thread parent" });
    const reply = h.fake.injectMessage({
      channel: GENERAL,
      user: BOB,
      text: "in the thread",
      thread_ts: parent,
    });
    const { message } = await h.host.waitForEvent(messageWithText("in the thread"));
    assert.equal(message.threadId, parent);
    assert.equal(message.messageId, reply);
    // Someone else's thread: it names the parent, and does not address the bot.
    assert.deepEqual(message.replyTo, { messageId: parent, senderName: "", text: "" });
    assert.equal(message.mentionsBot, false);
  });

  test("a reply in a thread under the bot's message addresses the bot", async () => {
    const [parent] = await h.channel.send(GENERAL, "Shall I book it?", {});
    h.fake.injectMessage({ channel: GENERAL, user: BOB, text: "yes please", thread_ts: parent });
    const { message } = await h.host.waitForEvent(messageWithText("yes please"));
    assert.equal(message.mentionsBot, true);
    assert.equal(message.replyTo?.messageId, parent);
  });

  test("a mention of the bot triggers, reads as the assistant's name and arrives once", async () => {
    const ts = h.fake.injectMessage({
      channel: GENERAL,
      user: ALICE,
      text: `<@${h.fake.botUserId}> what's up?`,
    });
    const { message } = await h.host.waitForEvent(messageWithText("@Andy what's up?"));
    assert.equal(message.mentionsBot, true);
    // Slack sends both a `message` and an `app_mention` envelope for it.
    await h.fake.waitForEnvelope(
      (e) => e.event.type === "app_mention" && e.event.ts === ts && e.acked,
    );
    await h.fake.waitForEnvelope((e) => e.event.type === "message" && e.event.ts === ts && e.acked);
    const copies = h.host.events.filter((e) => e.type === "message" && e.message.messageId === ts);
    assert.equal(copies.length, 1);
  });

  test("the bot's own messages and other bots' messages are ignored", async () => {
    const [ownTs] = await h.channel.send(GENERAL, "my own words", {});
    const botTs = h.fake.injectBotMessage({
      channel: GENERAL,
      text: "beep",
      bot_id: "B0OTHER",
      username: "ci",
    });
    await h.fake.waitForEnvelope((e) => e.event.ts === ownTs && e.acked);
    await h.fake.waitForEnvelope((e) => e.event.ts === botTs && e.acked);
    const texts = h.host.started.flatMap((e) => (e.type === "message" ? [e.message.text] : []));
    assert.ok(!texts.includes("my own words"));
    assert.ok(!texts.includes("beep"));
  });

  test("an edit and a deletion become edit and delete events", async () => {
    const ts = h.fake.injectMessage({ channel: GENERAL, user: ALICE, text: "frist" });
    await h.host.waitForEvent(messageWithText("frist"));
    h.fake.injectEdit({ channel: GENERAL, ts, text: "first <@U0BOB>" });
    const edit = await h.host.waitForEvent(
      (e): e is EditEvent => e.type === "edit" && e.messageId === ts,
    );
    assert.equal(edit.chatId, GENERAL);
    assert.equal(edit.text, "first @Bob Builder");
    h.fake.injectDelete({ channel: GENERAL, ts });
    const deletion = await h.host.waitForEvent(
      (e): e is DeleteEvent => e.type === "delete" && e.messageId === ts,
    );
    assert.deepEqual(deletion, { type: "delete", chatId: GENERAL, messageId: ts });
  });

  test("deleting a thread parent that has replies is a delete, though Slack sends a tombstone edit", async () => {
    const parent = h.fake.injectMessage({
      channel: GENERAL,
      user: ALICE,
      text: "parent to delete",
    });
    h.fake.injectMessage({
      channel: GENERAL,
      user: BOB,
      text: "a reply that stays",
      thread_ts: parent,
    });
    await h.host.waitForEvent(messageWithText("a reply that stays"));
    h.fake.injectDelete({ channel: GENERAL, ts: parent });
    await h.host.waitForEvent(
      (e): e is DeleteEvent => e.type === "delete" && e.messageId === parent,
    );
    assert.ok(!h.host.events.some((e) => e.type === "edit" && e.messageId === parent));
  });

  test("files arrive as attachments downloaded with the bot token, within the size cap", async () => {
    h.fake.injectMessage({
      channel: GENERAL,
      user: ALICE,
      text: "two files",
      files: [
        { name: "notes.txt", mimetype: "text/plain", content: "hello file" },
        { name: "big.png", mimetype: "image/png", content: new Uint8Array(100) },
      ],
    });
    const { message } = await h.host.waitForEvent(messageWithText("two files"));
    const [notes, big] = message.attachments ?? [];
    assert.ok(notes && big);
    assert.deepEqual(
      [notes.kind, notes.fileName, notes.mimeType, notes.size],
      ["file", "notes.txt", "text/plain", 10],
    );
    assert.equal(new TextDecoder().decode(await notes.download()), "hello file");
    assert.deepEqual([big.kind, big.size], ["image", 100]);
    await assert.rejects(big.download(), /limit/);
  });

  test("a clip recorded in Slack is a voice note with its length, whatever its MIME type", async () => {
    h.fake.injectMessage({
      channel: GENERAL,
      user: ALICE,
      text: "voice clip",
      files: [
        {
          name: "audio_message.mp4",
          mimetype: "video/mp4",
          content: "ftyp",
          subtype: "slack_audio",
          durationMs: 4200,
        },
        { name: "talk.m4a", mimetype: "audio/mp4", content: "ftyp" },
      ],
    });
    const { message } = await h.host.waitForEvent(messageWithText("voice clip"));
    const [clip, upload] = message.attachments ?? [];
    assert.ok(clip && upload);
    assert.deepEqual(
      [clip.kind, clip.voice, clip.durationSeconds, clip.mimeType],
      ["audio", true, 4.2, "video/mp4"],
    );
    assert.equal(new TextDecoder().decode(await clip.download()), "ftyp");
    assert.deepEqual([upload.kind, upload.voice], ["audio", undefined]);
  });
});
