// Received WhatsApp messages, as Baileys emits them in messages.upsert, through the adapter
// to the core: text sources, groups, mentions, quotes, media, LID ↔ phone-number identity,
// edits and deletions.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { proto, type WAMessage } from "baileys";
import { WhatsAppChannel } from "../../../src/channels/whatsapp/channel.ts";
import { AttachmentTooLargeError } from "../../../src/channels/whatsapp/attachments.ts";
import { mentionsTrigger } from "../../../src/channels/mention.ts";
import { seedLinkedDevice } from "../../fakes/whatsapp/linked-device.ts";
import { ManualTimers } from "../../fakes/whatsapp/manual-timers.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { StubSocketFactory, type StubSocket } from "../../fakes/whatsapp/stub-socket.ts";

const BOT_PN = "15550000000:7@s.whatsapp.net";
const BOT_LID = "88880000000:7@lid";
const ALICE = "15551234567@s.whatsapp.net";
const BOB = "15559999999@s.whatsapp.net";
const BOB_LID = "70000000001@lid";
/** A person whose push name is the assistant's name. */
const ANDY = "15557777777@s.whatsapp.net";
const GROUP = "120363000000000001@g.us";
const T = 1_700_000_000;

let scratch = "";
let counter = 0;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pincer-whatsapp-inbound-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Connected {
  channel: WhatsAppChannel;
  host: RecordingHost;
  sock: StubSocket;
}

async function connected(maxAttachmentBytes?: number): Promise<Connected> {
  const authDir = join(scratch, `auth-${++counter}`);
  await seedLinkedDevice(authDir, BOT_PN, BOT_LID);
  const factory = new StubSocketFactory();
  const host = new RecordingHost();
  const channel = new WhatsAppChannel({
    authDir,
    assistantName: "Andy",
    logger: pino({ level: "silent" }),
    socketFactory: factory.create,
    timers: new ManualTimers(),
    sendGapMs: 0,
    sendJitterMs: 0,
    ...(maxAttachmentBytes === undefined ? {} : { maxAttachmentBytes }),
  });
  await channel.start(host);
  const sock = await factory.socket(1);
  sock.groups.set(GROUP, {
    id: GROUP,
    subject: "Book club",
    owner: ALICE,
    participants: [],
  });
  sock.open();
  await host.waitForStatus("connected");
  return { channel, host, sock };
}

function message(key: WAMessage["key"], content: proto.IMessage, pushName?: string): WAMessage {
  return {
    key,
    messageTimestamp: T,
    message: content,
    ...(pushName ? { pushName } : {}),
  };
}

/** Upserts, then a marker message; once the marker is stored, the ones before it are too. */
async function deliver(c: Connected, messages: WAMessage[]): Promise<void> {
  const marker = `MARK${++counter}`;
  c.sock.upsert([
    ...messages,
    message({ remoteJid: ALICE, fromMe: false, id: marker }, { conversation: "." }),
  ]);
  await c.host.waitForMessage((m) => m.messageId === marker);
}

function received(c: Connected, id: string) {
  const found = c.host.messages.find((m) => m.messageId === id);
  assert.ok(found, `message ${id} was not delivered`);
  return found;
}

describe("WhatsApp inbound", () => {
  it("delivers a direct message with sender, name, time, and announces the chat once", async () => {
    const c = await connected();
    try {
      await deliver(c, [
        message({ remoteJid: ALICE, fromMe: false, id: "D1" }, { conversation: "hello" }, "Alice"),
        message({ remoteJid: ALICE, fromMe: false, id: "D2" }, { conversation: "again" }, "Alice"),
      ]);
      assert.deepEqual(received(c, "D1"), {
        chatId: ALICE,
        messageId: "D1",
        senderId: ALICE,
        senderName: "Alice",
        text: "hello",
        timestamp: T * 1000,
        isGroup: false,
        mentionsBot: false,
        chatName: "Alice",
      });
      assert.deepEqual(c.host.discoveredChats, [{ chatId: ALICE, name: "Alice", isGroup: false }]);
    } finally {
      await c.channel.stop();
    }
  });

  it("ignores its own messages, status updates, history appends and reactions", async () => {
    const c = await connected();
    try {
      c.sock.upsert(
        [message({ remoteJid: ALICE, fromMe: false, id: "H1" }, { conversation: "old" })],
        "append",
      );
      await deliver(c, [
        message({ remoteJid: ALICE, fromMe: true, id: "OWN" }, { conversation: "mine" }),
        message(
          { remoteJid: "status@broadcast", fromMe: false, id: "ST", participant: ALICE },
          { conversation: "story" },
        ),
        message(
          { remoteJid: ALICE, fromMe: false, id: "RE" },
          { reactionMessage: { text: "👍", key: { id: "OWN" } } },
        ),
      ]);
      assert.deepEqual(
        c.host.messages.map((m) => m.messageId),
        [c.host.messages.at(-1)?.messageId],
      );
    } finally {
      await c.channel.stop();
    }
  });

  it("names group chats by their subject, fetched once and updated on change", async () => {
    const c = await connected();
    try {
      await deliver(c, [
        message(
          { remoteJid: GROUP, fromMe: false, id: "G1", participant: BOB },
          { conversation: "first" },
          "Bob",
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "G2", participant: ALICE },
          { extendedTextMessage: { text: "second" } },
          "Alice",
        ),
      ]);
      const first = received(c, "G1");
      assert.equal(first.isGroup, true);
      assert.equal(first.chatId, GROUP);
      assert.equal(first.senderId, BOB);
      assert.equal(first.senderName, "Bob");
      assert.equal(first.chatName, "Book club");
      assert.equal(received(c, "G2").text, "second");
      assert.deepEqual(c.sock.groupQueries, [GROUP]);

      c.sock.ev.emit("groups.update", [{ id: GROUP, subject: "Poetry club" }]);
      await deliver(c, [
        message(
          { remoteJid: GROUP, fromMe: false, id: "G3", participant: BOB },
          { conversation: "x" },
        ),
      ]);
      assert.equal(received(c, "G3").chatName, "Poetry club");
      assert.deepEqual(
        c.host.discoveredChats.filter((chat) => chat.isGroup),
        [
          { chatId: GROUP, name: "Book club", isGroup: true },
          { chatId: GROUP, name: "Poetry club", isGroup: true },
        ],
      );
    } finally {
      await c.channel.stop();
    }
  });

  it("turns mentions of the bot (by number or LID) into @Andy and names other people", async () => {
    const c = await connected();
    try {
      await deliver(c, [
        message(
          { remoteJid: GROUP, fromMe: false, id: "B0", participant: BOB },
          { conversation: "hi" },
          "Bob",
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "M1", participant: ALICE },
          {
            extendedTextMessage: {
              text: "@15550000000 ask @15559999999 and @155599999990",
              contextInfo: { mentionedJid: ["15550000000@s.whatsapp.net", BOB] },
            },
          },
          "Alice",
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "M2", participant: ALICE },
          {
            extendedTextMessage: {
              text: "@88880000000 hi",
              contextInfo: { mentionedJid: ["88880000000@lid"] },
            },
          },
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "M3", participant: ALICE },
          { conversation: "@Andy typed, not mentioned" },
        ),
      ]);
      const m1 = received(c, "M1");
      assert.equal(m1.text, "@Andy ask @Bob and @155599999990");
      assert.equal(m1.mentionsBot, true);
      assert.equal(received(c, "M2").text, "@Andy hi");
      assert.equal(received(c, "M2").mentionsBot, true);
      assert.equal(received(c, "M3").mentionsBot, false);
    } finally {
      await c.channel.stop();
    }
  });

  it("does not turn a mention of a person pushing the assistant's name into the trigger", async () => {
    const c = await connected();
    try {
      await deliver(c, [
        message(
          { remoteJid: GROUP, fromMe: false, id: "A0", participant: ANDY },
          { conversation: "hello all" },
          "Andy",
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "A1", participant: ALICE },
          {
            extendedTextMessage: {
              text: "@15557777777 your turn",
              contextInfo: { mentionedJid: [ANDY] },
            },
          },
          "Alice",
        ),
      ]);
      const mention = received(c, "A1");
      assert.equal(mention.mentionsBot, false);
      assert.match(mention.text, /Andy/);
      assert.equal(mentionsTrigger(mention.text, "@Andy"), false, mention.text);
    } finally {
      await c.channel.stop();
    }
  });

  it("carries the quoted message as replyTo, naming the bot as the assistant", async () => {
    const c = await connected();
    try {
      await deliver(c, [
        message(
          { remoteJid: ALICE, fromMe: false, id: "Q1" },
          {
            extendedTextMessage: {
              text: "why?",
              contextInfo: {
                stanzaId: "SENT9",
                participant: BOT_PN,
                quotedMessage: { conversation: "because" },
              },
            },
          },
          "Alice",
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "Q2", participant: BOB },
          {
            imageMessage: {
              caption: "look",
              contextInfo: {
                stanzaId: "Q1",
                participant: ALICE,
                quotedMessage: { extendedTextMessage: { text: "why?" } },
              },
            },
          },
        ),
      ]);
      assert.deepEqual(received(c, "Q1").replyTo, {
        messageId: "SENT9",
        senderName: "Andy",
        text: "because",
      });
      assert.deepEqual(received(c, "Q2").replyTo, {
        messageId: "Q1",
        senderName: "Alice",
        text: "why?",
      });
      // A reply to the bot addresses it, like a mention; a reply to someone else does not.
      assert.equal(received(c, "Q1").mentionsBot, true);
      assert.equal(received(c, "Q2").mentionsBot, false);
    } finally {
      await c.channel.stop();
    }
  });

  it("hands over images, documents and voice notes as attachments with their captions", async () => {
    const c = await connected(1000);
    try {
      await deliver(c, [
        message(
          { remoteJid: ALICE, fromMe: false, id: "IMG" },
          { imageMessage: { caption: "a cat", mimetype: "image/jpeg", fileLength: 1234 } },
        ),
        message(
          { remoteJid: ALICE, fromMe: false, id: "DOC" },
          {
            documentWithCaptionMessage: {
              message: {
                documentMessage: {
                  caption: "the minutes",
                  fileName: "minutes.pdf",
                  mimetype: "application/pdf",
                  fileLength: 10,
                },
              },
            },
          },
        ),
        message(
          { remoteJid: ALICE, fromMe: false, id: "PTT" },
          { audioMessage: { mimetype: "audio/ogg; codecs=opus", ptt: true, fileLength: 20 } },
        ),
      ]);
      const image = received(c, "IMG");
      assert.equal(image.text, "a cat");
      const [photo] = image.attachments ?? [];
      assert.deepEqual(
        {
          kind: photo?.kind,
          fileName: photo?.fileName,
          mimeType: photo?.mimeType,
          size: photo?.size,
        },
        { kind: "image", fileName: "image-IMG.jpg", mimeType: "image/jpeg", size: 1234 },
      );
      // Announced as larger than the cap, so it is refused before any download.
      await assert.rejects(photo?.download() ?? Promise.resolve(), AttachmentTooLargeError);

      const doc = received(c, "DOC");
      assert.equal(doc.text, "the minutes");
      assert.equal(doc.attachments?.[0]?.fileName, "minutes.pdf");
      assert.equal(doc.attachments?.[0]?.kind, "file");

      const voice = received(c, "PTT");
      assert.equal(voice.text, "");
      assert.equal(voice.attachments?.[0]?.kind, "audio");
      assert.equal(voice.attachments?.[0]?.fileName, "voice-PTT.ogg");
    } finally {
      await c.channel.stop();
    }
  });

  it("names one person by one id whether a message came by phone number or LID", async () => {
    const c = await connected();
    try {
      c.sock.lidToPn.set("70000000002@lid", "15552222222@s.whatsapp.net");
      await deliver(c, [
        message(
          { remoteJid: GROUP, fromMe: false, id: "L1", participant: BOB },
          { conversation: "pn" },
          "Bob",
        ),
        message(
          {
            remoteJid: GROUP,
            fromMe: false,
            id: "L2",
            participant: `${BOB_LID.replace("@", ":3@")}`,
            participantAlt: "15559999999:3@s.whatsapp.net",
          },
          { conversation: "lid with alt" },
        ),
        message(
          { remoteJid: BOB_LID, fromMe: false, id: "L3", remoteJidAlt: BOB },
          { conversation: "dm by lid" },
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "L4", participant: "70000000002@lid" },
          { conversation: "lid from the store" },
          "Carol",
        ),
        message(
          { remoteJid: GROUP, fromMe: false, id: "L5", participant: "70000000003:1@lid" },
          { conversation: "unknown lid" },
        ),
      ]);
      assert.equal(received(c, "L1").senderId, BOB);
      assert.equal(received(c, "L2").senderId, BOB);
      assert.equal(received(c, "L2").senderName, "Bob");
      assert.equal(received(c, "L3").chatId, BOB);
      assert.equal(received(c, "L3").senderId, BOB);
      assert.equal(received(c, "L4").senderId, "15552222222@s.whatsapp.net");
      assert.equal(received(c, "L5").senderId, "70000000003@lid");
    } finally {
      await c.channel.stop();
    }
  });

  it("reports edits and deletions", async () => {
    const c = await connected();
    try {
      const edit = message(
        { remoteJid: ALICE, fromMe: false, id: "E1" },
        {
          protocolMessage: {
            type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
            key: { remoteJid: ALICE, fromMe: false, id: "D1" },
            editedMessage: { conversation: "fixed" },
            timestampMs: (T + 60) * 1000,
          },
        },
      );
      const revoke = message(
        { remoteJid: ALICE, fromMe: false, id: "E2" },
        {
          protocolMessage: {
            type: proto.Message.ProtocolMessage.Type.REVOKE,
            key: { remoteJid: ALICE, fromMe: false, id: "D2" },
          },
        },
      );
      await deliver(c, [edit, revoke]);
      assert.deepEqual(c.host.received.slice(0, 2), [
        { type: "edit", chatId: ALICE, messageId: "D1", text: "fixed", timestamp: (T + 60) * 1000 },
        { type: "delete", chatId: ALICE, messageId: "D2" },
      ]);
    } finally {
      await c.channel.stop();
    }
  });

  it("retries handing a message to the core when storing it fails", async () => {
    const c = await connected();
    try {
      let failures = 1;
      c.host.onReceive = async () => {
        if (failures-- > 0) throw new Error("database is locked");
      };
      c.sock.upsert([
        message({ remoteJid: ALICE, fromMe: false, id: "R1" }, { conversation: "hi" }),
      ]);
      await c.host.waitFor("a second attempt", () =>
        c.host.messages.filter((m) => m.messageId === "R1").length === 2 ? true : undefined,
      );
    } finally {
      await c.channel.stop();
    }
  });
});
