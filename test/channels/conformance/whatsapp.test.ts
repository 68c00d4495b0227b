// The channel conformance cases for WhatsApp, twice: real Baileys against crabline's loopback
// WhatsApp server (from a linked device: crabline cannot pair, see fakes/whatsapp/crabline.ts),
// and the adapter on the stub socket that emits Baileys' own event shapes, for the edits,
// deletions, mentions and reactions crabline cannot play.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { proto, type WAMessage } from "baileys";
import { pino } from "pino";
import { WhatsAppChannel } from "../../../src/channels/whatsapp/channel.ts";
import { CrablineWhatsApp } from "../../fakes/whatsapp/crabline.ts";
import { seedLinkedDevice } from "../../fakes/whatsapp/linked-device.ts";
import { ManualTimers } from "../../fakes/whatsapp/manual-timers.ts";
import { boom, StubSocketFactory } from "../../fakes/whatsapp/stub-socket.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { ASSISTANT_NAME, runConformanceCases, type ConformanceTarget } from "./cases.ts";

const ALICE = "15551234567@s.whatsapp.net";
const BOT = "15550000000:7@s.whatsapp.net";
const GROUP = "120363000000000001@g.us";
/** A person whose push name is the assistant's: mentioning them must not trigger. */
const ANDY = "15557777777@s.whatsapp.net";
const SPLIT_LIMIT = 4000;
const NO_RATE_LIMIT = "WhatsApp has no HTTP 429 or Retry-After to answer a send with";
const CRABLINE_INJECTS = "crabline injects only new text and audio messages; run on the stub";
const logger = pino({ level: "silent" });

async function scratchDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "pincer-conformance-whatsapp-"));
}

runConformanceCases({
  name: "WhatsApp (crabline)",
  textLimit: SPLIT_LIMIT,
  authFailure: { status: "logged_out", detail: /logged this device out \(401\)/ },
  skip: {
    edit: CRABLINE_INJECTS,
    delete: CRABLINE_INJECTS,
    mention: `${CRABLINE_INJECTS} (crabline has no mentions and no group chats)`,
    "quoted reply": CRABLINE_INJECTS,
    reaction:
      "crabline keeps a sent reaction only encrypted, so it cannot be read back; run on the stub",
    "rate limit": NO_RATE_LIMIT,
    "rate limit mid-reply": NO_RATE_LIMIT,
    "send file": "crabline has no media server for Baileys to upload to; run on the stub",
  },
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const dir = await scratchDir();
    const server = await CrablineWhatsApp.start(join(dir, "recorder.jsonl"));
    const authDir = join(dir, "auth");
    await seedLinkedDevice(authDir, server.selfJid);
    const host = new RecordingHost();
    const timers = new ManualTimers();
    const channel = new WhatsAppChannel({
      authDir,
      wsUrl: refuseAuth ? server.wsUrlWithAccessToken("revoked") : server.wsUrl,
      assistantName: ASSISTANT_NAME,
      logger,
      timers,
      sendGapMs: 0,
      sendJitterMs: 0,
    });
    await channel.start(host);
    return {
      channel,
      host,
      directChatId: ALICE,
      person: { id: ALICE, name: "Alice" },
      injectText: (chatId, text) =>
        server.inject({ chatJid: chatId, senderJid: ALICE, text, pushName: "Alice" }),
      delivered: async (chatId, ids) => {
        for (const id of ids) await server.waitForDelivered((text) => text.id === id);
        return server.delivered
          .filter((text) => text.to === chatId && ids.includes(text.id))
          .map(({ id, text }) => ({ id, text }));
      },
      waitForTyping: async (chatId) => {
        await server.waitForNode(
          (node) =>
            node.tag === "chatstate" &&
            node.attrs.to === chatId &&
            JSON.stringify(node.content).includes("composing"),
        );
      },
      dropConnection: async () => server.dropConnections(),
      allowReconnect: () => timers.runAll(),
      stop: async () => {
        await channel.stop();
        await server.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

runConformanceCases({
  name: "WhatsApp (stub socket)",
  textLimit: SPLIT_LIMIT,
  authFailure: { status: "logged_out", detail: /logged this device out \(401\)/ },
  skip: { "rate limit": NO_RATE_LIMIT, "rate limit mid-reply": NO_RATE_LIMIT },
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const authDir = await scratchDir();
    await seedLinkedDevice(authDir, BOT);
    const factory = new StubSocketFactory();
    const timers = new ManualTimers();
    const host = new RecordingHost();
    const channel = new WhatsAppChannel({
      authDir,
      assistantName: ASSISTANT_NAME,
      logger,
      socketFactory: factory.create,
      timers,
      sendGapMs: 0,
      sendJitterMs: 0,
    });
    await channel.start(host);
    const first = await factory.socket(1);
    first.groups.set(GROUP, { id: GROUP, subject: "Book club", owner: ALICE, participants: [] });
    if (refuseAuth) first.emitClose(boom(401, "Connection Failure"));
    else first.open();

    let counter = 0;
    const upsert = (chatId: string, from: string, content: proto.IMessage, pushName: string) => {
      const id = `IN${++counter}`;
      const participant = chatId === GROUP ? { participant: from } : {};
      const message: WAMessage = {
        key: { remoteJid: chatId, fromMe: false, id, ...participant },
        messageTimestamp: 1_700_000_000 + counter,
        message: content,
        pushName,
      };
      factory.latest.upsert([message]);
      return id;
    };
    const protocol = (chatId: string, messageId: string, change: proto.Message.IProtocolMessage) =>
      upsert(
        chatId,
        ALICE,
        {
          protocolMessage: { key: { remoteJid: chatId, fromMe: false, id: messageId }, ...change },
        },
        "Alice",
      );
    const mention = (chatId: string, jid: string) =>
      upsert(
        chatId,
        ALICE,
        {
          extendedTextMessage: {
            text: `@${jid.split("@")[0]} what's up?`,
            contextInfo: { mentionedJid: [jid] },
          },
        },
        "Alice",
      );
    const sent = () => factory.sockets.flatMap((socket) => socket.sent);
    return {
      channel,
      host,
      directChatId: ALICE,
      groupChatId: GROUP,
      person: { id: ALICE, name: "Alice" },
      injectText: async (chatId, text) => upsert(chatId, ALICE, { conversation: text }, "Alice"),
      injectEdit: async (chatId, messageId, text) => {
        protocol(chatId, messageId, {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          editedMessage: { conversation: text },
          timestampMs: Date.now(),
        });
      },
      injectDelete: async (chatId, messageId) => {
        protocol(chatId, messageId, { type: proto.Message.ProtocolMessage.Type.REVOKE });
      },
      // As the phone writes a quote: the quoted message's id, author and content go along.
      injectReply: async (chatId, quoted, text) =>
        upsert(
          chatId,
          ALICE,
          {
            extendedTextMessage: {
              text,
              contextInfo: {
                stanzaId: quoted.id,
                participant: quoted.byBot ? BOT : ALICE,
                quotedMessage: { conversation: quoted.text },
              },
            },
          },
          "Alice",
        ),
      repliesQuoteText: true,
      injectMention: async (chatId, whom) => {
        if (whom === "bot") return mention(chatId, "15550000000@s.whatsapp.net");
        const introduced = upsert(chatId, ANDY, { conversation: "hello all" }, ASSISTANT_NAME);
        await host.waitForMessage((message) => message.messageId === introduced);
        return mention(chatId, ANDY);
      },
      delivered: async (chatId, ids) =>
        sent()
          .filter((message) => message.jid === chatId && ids.includes(message.id))
          .map((message) => ({
            id: message.id,
            text: "text" in message.content ? String(message.content.text) : "",
          })),
      deliveredFiles: async (chatId, count) => {
        const files = sent().flatMap((message) => {
          const content = message.content;
          if (message.jid !== chatId) return [];
          if ("image" in content)
            return [
              { bytes: content.image as Buffer, caption: content.caption ?? "", image: true },
            ];
          if ("document" in content)
            return [
              {
                name: content.fileName,
                bytes: content.document as Buffer,
                caption: content.caption ?? "",
                image: false,
              },
            ];
          return [];
        });
        assert.ok(files.length >= count, `${files.length} of ${count} files sent`);
        return files;
      },
      reactionsOn: (chatId, messageId) => {
        const reactions = sent().flatMap((message) =>
          message.jid === chatId &&
          "react" in message.content &&
          message.content.react.key?.id === messageId
            ? [message.content.react.text ?? ""]
            : [],
        );
        const current = reactions.at(-1);
        return current ? [current] : [];
      },
      waitForTyping: async (chatId) => {
        const shown = factory.sockets.some((socket) =>
          socket.presence.some((update) => update.type === "composing" && update.jid === chatId),
        );
        if (!shown) throw new Error(`no composing presence was sent to ${chatId}`);
      },
      dropConnection: async () => factory.latest.emitClose(boom(428, "Connection Closed")),
      allowReconnect: async () => {
        const next = factory.sockets.length + 1;
        timers.runAll();
        (await factory.socket(next)).open();
      },
      stop: async () => {
        await channel.stop();
        await rm(authDir, { recursive: true, force: true });
      },
    };
  },
});
