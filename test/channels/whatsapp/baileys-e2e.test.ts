// The WhatsApp adapter end to end through the real Baileys client against crabline's
// loopback WhatsApp server (Noise handshake, Signal-encrypted sends, plaintext inbound).
// What crabline cannot do is listed at the top of test/fakes/whatsapp/crabline.ts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { TransientSendError } from "../../../src/channels/channel.ts";
import {
  WhatsAppChannel,
  type WhatsAppChannelOptions,
} from "../../../src/channels/whatsapp/channel.ts";
import { AttachmentTooLargeError } from "../../../src/channels/whatsapp/attachments.ts";
import { CrablineWhatsApp } from "../../fakes/whatsapp/crabline.ts";
import { seedLinkedDevice } from "../../fakes/whatsapp/linked-device.ts";
import { ManualTimers } from "../../fakes/whatsapp/manual-timers.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";

const ALICE = "15551234567@s.whatsapp.net";
const logger = pino({ level: "silent" });

interface Harness {
  server: CrablineWhatsApp;
  dir: string;
  authDir: string;
}

let scratch = "";

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pincer-whatsapp-e2e-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function harness(name: string): Promise<Harness> {
  const dir = join(scratch, name);
  const server = await CrablineWhatsApp.start(join(dir, "recorder.jsonl"));
  return { server, dir, authDir: join(dir, "auth") };
}

function channelFor(h: Harness, extra: Partial<WhatsAppChannelOptions> = {}): WhatsAppChannel {
  return new WhatsAppChannel({
    authDir: h.authDir,
    wsUrl: h.server.wsUrl,
    assistantName: "Andy",
    logger,
    sendGapMs: 0,
    sendJitterMs: 0,
    ...extra,
  });
}

async function readCreds(authDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(authDir, "creds.json"), "utf8")) as Record<string, unknown>;
}

describe("WhatsApp through Baileys against crabline", () => {
  it("asks for a pairing code as soon as the socket is open, without a QR event", async () => {
    const h = await harness("pairing");
    const host = new RecordingHost();
    // Crabline drops the connection on the pairing request (see crabline.ts); holding the
    // reconnect keeps the state the request left behind.
    const timers = new ManualTimers();
    const channel = channelFor(h, { phone: `+${h.server.selfPhone}`, timers });
    try {
      await channel.start(host);
      const pairing = await host.waitForStatus("pairing");
      const code = /Pairing code: ([A-Z0-9]{4})-([A-Z0-9]{4})\./.exec(pairing.detail ?? "");
      assert.ok(code, pairing.detail);
      assert.match(pairing.detail ?? "", new RegExp(`\\+${h.server.selfPhone}`));
      await channel.stop();
      const creds = await readCreds(h.authDir);
      assert.equal(creds.pairingCode, `${code[1]}${code[2]}`);
      assert.deepEqual((creds.me as { id: string }).id, h.server.selfJid);
      assert.equal(creds.registered, false);
    } finally {
      await channel.stop();
      await h.server.close();
    }
  });

  it("receives a direct message and delivers a formatted, threaded reply", async () => {
    const h = await harness("dm");
    await seedLinkedDevice(h.authDir, h.server.selfJid);
    const host = new RecordingHost();
    const channel = channelFor(h);
    try {
      await channel.start(host);
      await host.waitForStatus("connected");
      assert.ok(!host.states.some((state) => state.status === "pairing"));

      const id = await h.server.inject({
        chatJid: ALICE,
        senderJid: ALICE,
        text: "hello @Andy",
        pushName: "Alice",
      });
      const inbound = await host.waitForMessage((message) => message.messageId === id);
      assert.equal(inbound.chatId, ALICE);
      assert.equal(inbound.senderId, ALICE);
      assert.equal(inbound.senderName, "Alice");
      assert.equal(inbound.text, "hello @Andy");
      assert.equal(inbound.isGroup, false);
      assert.equal(inbound.mentionsBot, false);
      assert.deepEqual(host.discoveredChats, [{ chatId: ALICE, name: "Alice", isGroup: false }]);

      const ids = await channel.send(ALICE, "**Hi** Alice, ~~no~~ _yes_", {});
      assert.equal(ids.length, 1);
      const delivered = await h.server.waitForDelivered((text) => text.id === ids[0]);
      assert.equal(delivered.text, "*Hi* Alice, ~no~ _yes_");
      assert.equal(delivered.to, ALICE);

      await channel.setTyping(ALICE, true);
      await h.server.waitForNode(
        (node) =>
          node.tag === "chatstate" &&
          node.attrs.to === ALICE &&
          JSON.stringify(node.content).includes("composing"),
      );
      await channel.setTyping(ALICE, false);
    } finally {
      await channel.stop();
      await h.server.close();
    }
  });

  it("splits a long reply into messages that arrive in order", async () => {
    const h = await harness("split");
    await seedLinkedDevice(h.authDir, h.server.selfJid);
    const host = new RecordingHost();
    const channel = channelFor(h);
    try {
      await channel.start(host);
      await host.waitForStatus("connected");
      const paragraphs = Array.from(
        { length: 30 },
        (_, i) => `Paragraph ${i} ${"word ".repeat(60)}`,
      );
      const ids = await channel.send(ALICE, paragraphs.join("\n\n"), {});
      assert.ok(ids.length >= 2, `expected several chunks, got ${ids.length}`);
      const texts = [];
      for (const id of ids) texts.push((await h.server.waitForDelivered((t) => t.id === id)).text);
      assert.ok(texts.every((text) => text.length <= 4000));
      assert.equal(
        texts.join("\n\n").replace(/\s+/g, " "),
        paragraphs.join(" ").replace(/\s+/g, " "),
      );
    } finally {
      await channel.stop();
      await h.server.close();
    }
  });

  it("reconnects after a restart with the same auth directory, without pairing again", async () => {
    const h = await harness("restart");
    await seedLinkedDevice(h.authDir, h.server.selfJid);
    const first = channelFor(h, { phone: h.server.selfPhone });
    const firstHost = new RecordingHost();
    await first.start(firstHost);
    await firstHost.waitForStatus("connected");
    const [firstId] = await first.send(ALICE, "before the restart", {});
    await h.server.waitForDelivered((text) => text.id === firstId);
    await first.stop();
    const credsBefore = await readCreds(h.authDir);
    const files = await readdir(h.authDir);
    assert.ok(
      files.some((file) => file.startsWith("session-")),
      files.join(", "),
    );

    const second = channelFor(h, { phone: h.server.selfPhone });
    const secondHost = new RecordingHost();
    try {
      await second.start(secondHost);
      await secondHost.waitForStatus("connected");
      assert.ok(!secondHost.states.some((state) => state.status === "pairing"));
      const credsAfter = await readCreds(h.authDir);
      assert.deepEqual(credsAfter.noiseKey, credsBefore.noiseKey);
      assert.deepEqual(credsAfter.signedIdentityKey, credsBefore.signedIdentityKey);
      const [secondId] = await second.send(ALICE, "after the restart", {});
      const delivered = await h.server.waitForDelivered((text) => text.id === secondId);
      assert.equal(delivered.text, "after the restart");
    } finally {
      await second.stop();
      await h.server.close();
    }
  });

  it("after a dropped connection, refuses sends as transient, reconnects, then delivers", async () => {
    const h = await harness("drop");
    await seedLinkedDevice(h.authDir, h.server.selfJid);
    const host = new RecordingHost();
    const timers = new ManualTimers();
    const channel = channelFor(h, { timers });
    try {
      await channel.start(host);
      await host.waitForStatus("connected");
      const connectionsBefore = h.server.connections;
      const mark = host.states.length;

      h.server.dropConnections();
      const reconnecting = await host.waitForStatus("reconnecting", mark);
      assert.match(reconnecting.detail ?? "", /retrying in \d+s/);
      await assert.rejects(channel.send(ALICE, "queued while offline", {}), TransientSendError);

      // The outbox retries once the adapter reports it is connected again.
      const reconnected = host.states.length;
      timers.runAll();
      await host.waitForStatus("connected", reconnected);
      assert.equal(h.server.connections, connectionsBefore + 1);
      const [id] = await channel.send(ALICE, "queued while offline", {});
      const delivered = await h.server.waitForDelivered((text) => text.id === id);
      assert.equal(delivered.text, "queued while offline");
    } finally {
      await channel.stop();
      await h.server.close();
    }
  });

  it("stops as logged out when the server refuses the WebSocket upgrade with 401", async () => {
    const h = await harness("refused");
    await seedLinkedDevice(h.authDir, h.server.selfJid);
    const host = new RecordingHost();
    const timers = new ManualTimers();
    const channel = channelFor(h, { wsUrl: h.server.wsUrlWithAccessToken("revoked"), timers });
    try {
      await channel.start(host);
      const loggedOut = await host.waitForStatus("logged_out");
      assert.match(loggedOut.detail ?? "", /logged this device out \(401\)/);
      assert.deepEqual(timers.scheduled, []);
      assert.equal(h.server.connections, 1);
    } finally {
      await channel.stop();
      await h.server.close();
    }
  });

  it("hands over a voice note whose download is decrypted by Baileys, within the size cap", async () => {
    const h = await harness("audio");
    await seedLinkedDevice(h.authDir, h.server.selfJid);
    const audio = Buffer.from("OggS voice note bytes");
    const host = new RecordingHost();
    const channel = channelFor(h, { maxAttachmentBytes: audio.length });
    try {
      await channel.start(host);
      await host.waitForStatus("connected");
      const id = await h.server.inject({
        chatJid: ALICE,
        senderJid: ALICE,
        audio: {
          contentBase64: audio.toString("base64"),
          mimeType: "audio/ogg; codecs=opus",
          ptt: true,
        },
      });
      const inbound = await host.waitForMessage((message) => message.messageId === id);
      const [attachment] = inbound.attachments ?? [];
      assert.ok(attachment);
      assert.equal(attachment.kind, "audio");
      assert.equal(attachment.mimeType, "audio/ogg; codecs=opus");
      assert.equal(attachment.size, audio.length);
      assert.equal(attachment.fileName, `voice-${id}.ogg`);
      assert.deepEqual(Buffer.from(await attachment.download()), audio);
    } finally {
      await channel.stop();
    }

    const capped = channelFor(h, { maxAttachmentBytes: audio.length - 1 });
    const cappedHost = new RecordingHost();
    try {
      await capped.start(cappedHost);
      await cappedHost.waitForStatus("connected");
      const id = await h.server.inject({
        chatJid: ALICE,
        senderJid: ALICE,
        audio: { contentBase64: audio.toString("base64"), mimeType: "audio/ogg" },
      });
      const inbound = await cappedHost.waitForMessage((message) => message.messageId === id);
      await assert.rejects(
        inbound.attachments?.[0]?.download() ?? Promise.resolve(),
        AttachmentTooLargeError,
      );
    } finally {
      await capped.stop();
      await h.server.close();
    }
  });
});
