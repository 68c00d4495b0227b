// Inbound Discord events through real discord.js against the loopback fake.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ASSISTANT_NAME, connectAdapter } from "../../fakes/discord/harness.ts";
import type { RecordingHost } from "../../fakes/discord/harness.ts";
import { startDiscordFake } from "../../fakes/discord/server.ts";
import type { DiscordFake } from "../../fakes/discord/server.ts";
import type { InboundMessage } from "../../../src/channels/channel.ts";
import {
  MESSAGES_KEPT_PER_CHANNEL,
  type DiscordChannel,
} from "../../../src/channels/discord/channel.ts";
import { AttachmentTooLargeError } from "../../../src/channels/discord/download.ts";
import { mentionsTrigger } from "../../../src/channels/mention.ts";

const GUILD = "200000000000000001";
const GENERAL = "300000000000000001";
const RANDOM = "300000000000000002";
const DM = "400000000000000001";
const ALICE = { id: "500000000000000001", username: "alice", global_name: "Alice A." };
const BOB = { id: "500000000000000002", username: "bob" };
/** Members who happen to be named like the assistant. */
const ANDY = { id: "500000000000000003", username: "andy", global_name: ASSISTANT_NAME };
const ANDY_SMITH = { id: "500000000000000004", username: "asmith", global_name: "Andy Smith" };

describe("Discord channel: inbound", () => {
  let fake: DiscordFake;
  let channel: DiscordChannel;
  let host: RecordingHost;

  before(async () => {
    fake = await startDiscordFake({ token: "inbound-token" });
    fake.addGuild({ id: GUILD, name: "Crab Club", channels: [{ id: GENERAL, name: "general" }] });
    fake.addDmChannel({ id: DM, recipient: ALICE });
    ({ channel, host } = await connectAdapter(fake, { maxAttachmentBytes: 1000 }));
  });

  after(async () => {
    await channel.stop();
    await fake.close();
  });

  it("reports guild channels, including ones added later", async () => {
    await host.waitFor(
      () => host.chats.some((chat) => chat.chatId === GENERAL),
      "general discovered",
    );
    assert.deepEqual(
      host.chats.find((chat) => chat.chatId === GENERAL),
      { chatId: GENERAL, name: "Crab Club #general", isGroup: true },
    );
    fake.addGuild({
      id: "200000000000000002",
      name: "Second",
      channels: [{ id: RANDOM, name: "random" }],
    });
    await host.waitFor(
      () => host.chats.some((chat) => chat.chatId === RANDOM),
      "random discovered",
    );
    assert.equal(host.chats.find((chat) => chat.chatId === RANDOM)?.name, "Second #random");
  });

  it("delivers a guild message with its fields", async () => {
    const injected = fake.injectMessage({
      channelId: GENERAL,
      guildId: GUILD,
      author: ALICE,
      content: "hello crabs",
    });
    const message = await host.waitForMessage("hello crabs");
    assert.equal(message.chatId, GENERAL);
    assert.equal(message.messageId, injected.id);
    assert.equal(message.senderId, ALICE.id);
    assert.equal(message.senderName, "Alice A.");
    assert.equal(message.isGroup, true);
    assert.equal(message.chatName, "Crab Club #general");
    assert.equal(message.mentionsBot, false);
    assert.equal(message.replyTo, undefined);
    // discord.js dates a message by its snowflake id, as Discord's clients do.
    assert.equal(message.timestamp, Number((BigInt(injected.id) >> 22n) + 1420070400000n));
  });

  it("delivers a direct message as a one-to-one chat", async () => {
    fake.injectMessage({ channelId: DM, author: ALICE, content: "psst" });
    const message = await host.waitForMessage("psst");
    assert.equal(message.chatId, DM);
    assert.equal(message.isGroup, false);
    assert.equal(message.chatName, "DM with Alice A.");
    assert.equal(message.senderName, "Alice A.");
  });

  it("turns a mention of the bot into a trigger and readable text", async () => {
    fake.injectMessage({
      channelId: GENERAL,
      author: BOB,
      content: `<@!${fake.botUser.id}> ask <@${ALICE.id}> about it`,
    });
    const message = await host.waitForMessage(`@${ASSISTANT_NAME} ask @Alice A. about it`);
    assert.equal(message.mentionsBot, true);
    assert.equal(message.senderName, "bob");
  });

  it("does not take a mention of a member named like the assistant for the trigger", async () => {
    fake.injectMessage({ channelId: GENERAL, guildId: GUILD, author: ANDY, content: "andy here" });
    fake.injectMessage({
      channelId: GENERAL,
      guildId: GUILD,
      author: ANDY_SMITH,
      content: "me too",
    });
    await host.waitForMessage("me too");
    fake.injectMessage({
      channelId: GENERAL,
      author: BOB,
      content: `<@${ANDY.id}> and <@${ANDY_SMITH.id}>, the crabs are loose`,
    });
    const loose = () => host.messages().find((m) => m.text.endsWith("the crabs are loose"));
    await host.waitFor(() => loose() !== undefined, "the message mentioning the members");
    const message = loose()!;
    assert.equal(message.mentionsBot, false);
    assert.match(message.text, /Andy .*Andy Smith/);
    assert.equal(mentionsTrigger(message.text, `@${ASSISTANT_NAME}`), false, message.text);
  });

  it("includes the message replied to", async () => {
    const original = fake.injectMessage({
      channelId: GENERAL,
      author: ALICE,
      content: "what is a crab?",
    });
    fake.injectMessage({
      channelId: GENERAL,
      author: BOB,
      content: "a decapod",
      message_reference: { message_id: original.id },
    });
    const reply = await host.waitForMessage("a decapod");
    assert.deepEqual(reply.replyTo, {
      messageId: original.id,
      senderName: "Alice A.",
      text: "what is a crab?",
    });
    assert.equal(reply.mentionsBot, false);
  });

  it("counts a reply to the bot as a mention and names the assistant", async () => {
    const [botMessageId] = await channel.send(GENERAL, "I am a crab", {});
    assert.ok(botMessageId);
    fake.injectMessage({
      channelId: GENERAL,
      author: BOB,
      content: "are you sure?",
      message_reference: { message_id: botMessageId },
    });
    const reply = await host.waitForMessage("are you sure?");
    assert.equal(reply.mentionsBot, true);
    assert.deepEqual(reply.replyTo, {
      messageId: botMessageId,
      senderName: ASSISTANT_NAME,
      text: "I am a crab",
    });
  });

  it("counts a reply to the bot with its ping turned off as addressing the bot", async () => {
    const [botMessageId] = await channel.send(GENERAL, "I am still a crab", {});
    assert.ok(botMessageId);
    fake.injectMessage({
      channelId: GENERAL,
      author: BOB,
      content: "quiet reply, no ping",
      message_reference: { message_id: botMessageId },
      replyPing: false,
    });
    const reply = await host.waitForMessage("quiet reply, no ping");
    assert.equal(reply.mentionsBot, true);
    assert.equal(reply.replyTo?.text, "I am still a crab");
  });

  it("ignores the bot's own messages and other bots", async () => {
    await channel.send(GENERAL, "my own words", {});
    fake.injectMessage({
      channelId: GENERAL,
      author: { id: "700000000000000001", username: "otherbot", bot: true },
      content: "beep",
    });
    fake.injectMessage({ channelId: GENERAL, author: BOB, content: "after the bots" });
    await host.waitForMessage("after the bots");
    assert.equal(host.messagesWithText("my own words").length, 0);
    assert.equal(host.messagesWithText("beep").length, 0);
  });

  it("offers attachments for download within the size cap", async () => {
    fake.injectMessage({
      channelId: GENERAL,
      author: ALICE,
      content: "files",
      attachments: [
        { filename: "notes.txt", contentType: "text/plain", data: "crab notes" },
        {
          filename: "photo.png",
          contentType: "image/png",
          data: new Uint8Array(10),
          size: 5_000_000,
        },
        { filename: "liar.bin", data: new Uint8Array(4000), size: 10 },
      ],
    });
    const message = await host.waitForMessage("files");
    const [notes, photo, liar] = message.attachments ?? [];
    assert.ok(notes && photo && liar);
    assert.deepEqual(
      { kind: notes.kind, fileName: notes.fileName, mimeType: notes.mimeType, size: notes.size },
      { kind: "file", fileName: "notes.txt", mimeType: "text/plain", size: 10 },
    );
    assert.equal(new TextDecoder().decode(await notes.download()), "crab notes");
    assert.equal(photo.kind, "image");
    await assert.rejects(photo.download(), AttachmentTooLargeError);
    await assert.rejects(liar.download(), AttachmentTooLargeError);
  });

  it("marks a voice message's recording as a voice note with its length", async () => {
    fake.injectMessage({
      channelId: GENERAL,
      author: ALICE,
      content: "",
      voiceMessage: true,
      attachments: [
        {
          filename: "voice-message.ogg",
          contentType: "audio/ogg",
          data: new Uint8Array([79, 103, 103, 83]),
          durationSecs: 6.5,
        },
      ],
    });
    fake.injectMessage({
      channelId: GENERAL,
      author: ALICE,
      content: "a song",
      attachments: [{ filename: "song.mp3", contentType: "audio/mpeg", data: "ID3" }],
    });
    const song = await host.waitForMessage("a song");
    const isVoice = (m: InboundMessage) => m.attachments?.[0]?.fileName === "voice-message.ogg";
    await host.waitFor(() => host.messages().some(isVoice), "the voice message");
    const voice = host.messages().find(isVoice);
    const [recording] = voice?.attachments ?? [];
    assert.deepEqual(
      {
        kind: recording?.kind,
        voice: recording?.voice,
        durationSeconds: recording?.durationSeconds,
        mimeType: recording?.mimeType,
      },
      { kind: "audio", voice: true, durationSeconds: 6.5, mimeType: "audio/ogg" },
    );
    assert.equal(new TextDecoder().decode(await recording?.download()), "OggS");
    assert.equal(song.attachments?.[0]?.kind, "audio");
    assert.equal(
      song.attachments?.[0]?.voice,
      undefined,
      "an uploaded audio file is no voice note",
    );
  });

  it("reports edits and deletions, but not embed-only updates", async () => {
    const injected = fake.injectMessage({
      channelId: GENERAL,
      author: ALICE,
      content: "typo crabz",
    });
    await host.waitForMessage("typo crabz");
    fake.injectEdit({ channelId: GENERAL, messageId: injected.id, content: "typo crabz" });
    fake.injectEdit({ channelId: GENERAL, messageId: injected.id, content: "typo crabs" });
    fake.injectDelete({ channelId: GENERAL, messageId: injected.id });
    await host.waitFor(
      () => host.events.some((event) => event.type === "delete" && event.messageId === injected.id),
      "delete event",
    );
    const about = host.events.filter(
      (event) =>
        (event.type === "edit" || event.type === "delete") && event.messageId === injected.id,
    );
    assert.equal(about.length, 2);
    const [edit, deletion] = about;
    assert.ok(edit?.type === "edit");
    assert.equal(edit.chatId, GENERAL);
    assert.equal(edit.text, "typo crabs");
    assert.ok(edit.timestamp > 0);
    assert.deepEqual(deletion, { type: "delete", chatId: GENERAL, messageId: injected.id });
  });

  it("keeps only the latest messages of a channel, not discord.js's default 200", async () => {
    const first = fake.injectMessage({ channelId: GENERAL, author: BOB, content: "kept 0" });
    for (let i = 1; i <= MESSAGES_KEPT_PER_CHANNEL; i++)
      fake.injectMessage({ channelId: GENERAL, author: BOB, content: `kept ${i}` });
    const latest = await host.waitForMessage(`kept ${MESSAGES_KEPT_PER_CHANNEL}`);
    // An embed-only update (same text) is dropped only for a message still held; the
    // oldest is no longer held, so its update comes through as an edit.
    fake.injectEdit({ channelId: GENERAL, messageId: latest.messageId, content: latest.text });
    fake.injectEdit({ channelId: GENERAL, messageId: first.id, content: "kept 0" });
    await host.waitFor(
      () => host.events.some((event) => event.type === "edit" && event.messageId === first.id),
      "the update of a message no longer held",
    );
    assert.ok(
      !host.events.some((event) => event.type === "edit" && event.messageId === latest.messageId),
    );
  });
});
