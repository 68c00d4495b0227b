// The WhatsApp adapter's connection state machine and sends, on a stub socket that emits
// Baileys' own event shapes (see test/fakes/whatsapp/stub-socket.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { WAMessage } from "baileys";
import { TransientSendError } from "../../../src/channels/channel.ts";
import { WHATSAPP_MEDIA_MAX_BYTES } from "../../../src/channels/file-limits.ts";
import {
  WhatsAppChannel,
  type WhatsAppChannelOptions,
} from "../../../src/channels/whatsapp/channel.ts";
import { seedLinkedDevice } from "../../fakes/whatsapp/linked-device.ts";
import { ManualTimers } from "../../fakes/whatsapp/manual-timers.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { boom, StubSocketFactory, type StubSocket } from "../../fakes/whatsapp/stub-socket.ts";

const BOT = "15550000000:7@s.whatsapp.net";
const ALICE = "15551234567@s.whatsapp.net";
const logger = pino({ level: "silent" });

let scratch = "";
let counter = 0;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pincer-whatsapp-adapter-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Setup {
  channel: WhatsAppChannel;
  host: RecordingHost;
  factory: StubSocketFactory;
  timers: ManualTimers;
  authDir: string;
}

async function setup(
  options: Partial<WhatsAppChannelOptions> & { linked?: boolean } = {},
): Promise<Setup> {
  const authDir = join(scratch, `auth-${++counter}`);
  if (options.linked !== false) await seedLinkedDevice(authDir, BOT);
  const factory = new StubSocketFactory();
  const timers = new ManualTimers();
  const host = new RecordingHost();
  const channel = new WhatsAppChannel({
    authDir,
    assistantName: "Andy",
    logger,
    socketFactory: factory.create,
    timers,
    random: () => 0.5,
    sendGapMs: 0,
    sendJitterMs: 0,
    ...options,
  });
  await channel.start(host);
  return { channel, host, factory, timers, authDir };
}

/** A linked adapter whose first socket is open. */
async function connected(
  options: Partial<WhatsAppChannelOptions> = {},
): Promise<Setup & { sock: StubSocket }> {
  const s = await setup(options);
  const sock = await s.factory.socket(1);
  sock.open();
  await s.host.waitForStatus("connected");
  return { ...s, sock };
}

function dm(id: string, text: string): WAMessage {
  return {
    key: { remoteJid: ALICE, fromMe: false, id },
    messageTimestamp: 1_700_000_000,
    pushName: "Alice",
    message: { conversation: text },
  };
}

describe("WhatsApp connection", () => {
  it("requests a pairing code right after the handshake and shows it", async () => {
    const { channel, host, factory } = await setup({ linked: false, phone: "+1 555-123-4567" });
    try {
      const sock = await factory.socket(1);
      assert.equal(host.status, "connecting");
      // The server's raw hello (bytes) does not count; its first decoded node does.
      sock.handshake({ tag: "iq", attrs: { type: "set" }, content: [{ tag: "pair-device" }] });
      const pairing = await host.waitForStatus("pairing");
      assert.deepEqual(sock.pairingRequests, ["15551234567"]);
      assert.deepEqual(pairing.pairing, { method: "code", code: "ABCD1234", phone: "15551234567" });
      assert.match(pairing.detail ?? "", /^Pairing code: ABCD-1234\. /);
      assert.match(pairing.detail ?? "", /\+15551234567/);
      assert.match(pairing.detail ?? "", /Link with phone number instead/);
    } finally {
      await channel.stop();
    }
  });

  it("reconnects at once after pairing (515) and logs in without pairing again", async () => {
    const { channel, host, factory, timers, authDir } = await setup({
      linked: false,
      phone: "15551234567",
    });
    try {
      const first = await factory.socket(1);
      first.handshake();
      await host.waitForStatus("pairing");
      first.pairSuccess("15551234567:9@s.whatsapp.net", "777:9@lid");
      first.emitClose(boom(515, "Stream Errored (restart required)"));
      assert.deepEqual(timers.scheduled, [0]);
      timers.runAll();
      const second = await factory.socket(2);
      second.handshake();
      second.open();
      await host.waitForStatus("connected");
      assert.deepEqual(second.pairingRequests, []);
      assert.equal(second.creds.me?.id, "15551234567:9@s.whatsapp.net");
      await channel.stop();
      const saved = JSON.parse(await readFile(join(authDir, "creds.json"), "utf8")) as {
        me: { id: string };
      };
      assert.equal(saved.me.id, "15551234567:9@s.whatsapp.net");
    } finally {
      await channel.stop();
    }
  });

  it("reports the QR in its own field, never in the detail text, without a phone number", async () => {
    const { channel, host, factory } = await setup({ linked: false });
    try {
      const sock = await factory.socket(1);
      sock.handshake();
      sock.ev.emit("connection.update", { qr: "2@abc,def,ghi" });
      const pairing = await host.waitForStatus("pairing");
      assert.deepEqual(pairing.pairing, { method: "qr", payload: "2@abc,def,ghi" });
      assert.doesNotMatch(pairing.detail ?? "", /abc/);
      assert.match(pairing.detail ?? "", /Linked devices/);
      // WhatsApp shows a new QR every 20 s: each one is a new state.
      sock.ev.emit("connection.update", { qr: "2@jkl,mno,pqr" });
      await host.waitFor("the second QR", () =>
        JSON.stringify(host.states.at(-1)?.pairing) ===
        JSON.stringify({ method: "qr", payload: "2@jkl,mno,pqr" })
          ? true
          : undefined,
      );
      assert.deepEqual(sock.pairingRequests, []);
    } finally {
      await channel.stop();
    }
  });

  it("starts a fresh registration when an earlier pairing never finished", async () => {
    const { channel, factory } = await setup({ linked: false, phone: "15551234567" });
    try {
      const first = await factory.socket(1);
      first.handshake();
      await first.ws.close();
      assert.equal(first.creds.me?.id, "15551234567@s.whatsapp.net");
      await channel.stop();
      await channel.start(new RecordingHost());
      const second = await factory.socket(2);
      assert.equal(second.creds.me, undefined);
      assert.equal(second.creds.registered, false);
    } finally {
      await channel.stop();
    }
  });

  it("backs off exponentially with jitter, capped, and starts over once connected", async () => {
    const { channel, host, factory, timers, sock } = await connected({
      reconnectBaseMs: 1000,
      reconnectMaxMs: 5000,
    });
    try {
      // random() is 0.5, so each delay is 3/4 of the capped exponential ceiling.
      const codes = [428, 408, 503, 500, 428];
      let current = sock;
      for (const [index, code] of codes.entries()) {
        current.emitClose(boom(code, "Connection Closed"));
        timers.runAll();
        current = await factory.socket(index + 2);
      }
      assert.deepEqual(timers.scheduled, [750, 1500, 3000, 3750, 3750]);
      const reconnecting = host.states.filter((state) => state.status === "reconnecting");
      assert.match(reconnecting[0]?.detail ?? "", /428 Connection Closed.*retrying in 1s/);

      current.open();
      await host.waitForStatus("connected", host.states.length - 1);
      current.emitClose(new Error("getaddrinfo ENOTFOUND web.whatsapp.com"));
      assert.equal(timers.scheduled.at(-1), 750);
    } finally {
      await channel.stop();
    }
  });

  it("stops for good on 401 logged out, keeps the auth data and says how to re-pair", async () => {
    const { channel, host, factory, timers, sock, authDir } = await connected();
    try {
      sock.emitClose(boom(401, "Connection Failure"));
      const loggedOut = await host.waitForStatus("logged_out");
      assert.match(loggedOut.detail ?? "", /401/);
      assert.ok(loggedOut.detail?.includes(authDir));
      assert.match(loggedOut.detail ?? "", /delete that directory/);
      assert.deepEqual(timers.scheduled, []);
      assert.equal(factory.sockets.length, 1);
      await stat(join(authDir, "creds.json"));
      await assert.rejects(channel.send(ALICE, "hi", {}), TransientSendError);
    } finally {
      await channel.stop();
    }
  });

  it("takes an HTTP 401 answer to the WebSocket upgrade as logged out, a 503 as a retry", async () => {
    const { channel, host, factory, timers } = await setup();
    try {
      const first = await factory.socket(1);
      first.refuseUpgrade(503);
      const reconnecting = await host.waitForStatus("reconnecting");
      assert.match(reconnecting.detail ?? "", /503 WebSocket upgrade refused with HTTP 503/);
      assert.ok(first.ended);
      timers.runAll();
      const second = await factory.socket(2);
      second.refuseUpgrade(401);
      const loggedOut = await host.waitForStatus("logged_out");
      assert.match(loggedOut.detail ?? "", /logged this device out \(401\)/);
      assert.deepEqual(timers.scheduled, [750]);
      assert.equal(factory.sockets.length, 2);
    } finally {
      await channel.stop();
    }
  });

  it("does not fight another session that replaced it (440)", async () => {
    const { channel, host, factory, timers, sock } = await connected();
    try {
      sock.emitClose(boom(440, "Stream Errored (conflict)"));
      const stopped = await host.waitForStatus("stopped");
      assert.match(stopped.detail ?? "", /440 connection replaced/);
      assert.deepEqual(timers.scheduled, []);
      assert.equal(factory.sockets.length, 1);
    } finally {
      await channel.stop();
    }
  });

  it("reports unreadable link data instead of silently registering a new device", async () => {
    const authDir = join(scratch, `auth-${++counter}`);
    await seedLinkedDevice(authDir, BOT);
    await writeFile(join(authDir, "creds.json"), '{"noiseKey": {"priv');
    const factory = new StubSocketFactory();
    const host = new RecordingHost();
    const channel = new WhatsAppChannel({
      authDir,
      assistantName: "Andy",
      logger,
      socketFactory: factory.create,
    });
    await channel.start(host);
    assert.equal(host.status, "auth_failed");
    assert.ok(host.states.at(-1)?.detail?.includes(authDir));
    assert.equal(factory.sockets.length, 0);
    await channel.stop();
  });

  it("stop closes the socket without reconnecting or logging out", async () => {
    const { channel, host, timers, sock } = await connected();
    await channel.stop();
    assert.equal(sock.ended, true);
    assert.deepEqual(timers.scheduled, []);
    assert.equal(host.status, "stopped");
  });
});

describe("WhatsApp sends", () => {
  it("throws TransientSendError while not connected, so the outbox retries", async () => {
    const { channel, factory, timers } = await setup();
    try {
      await assert.rejects(channel.send(ALICE, "hello", {}), TransientSendError);
      const sock = await factory.socket(1);
      sock.open();
      sock.emitClose(boom(428, "Connection Closed"));
      await assert.rejects(channel.send(ALICE, "hello", {}), TransientSendError);
      timers.runAll();
      const next = await factory.socket(2);
      next.open();
      assert.equal((await channel.send(ALICE, "hello", {})).length, 1);
    } finally {
      await channel.stop();
    }
  });

  it("renders Markdown and splits long replies", async () => {
    const { channel, host, sock } = await connected();
    try {
      sock.upsert([dm("IN1", "question")]);
      await host.waitForMessage((message) => message.messageId === "IN1");
      const long = [
        "**Title**",
        ...Array.from({ length: 12 }, (_, i) => `${i} ${"x".repeat(500)}`),
      ];
      const ids = await channel.send(ALICE, long.join("\n\n"), {});
      assert.ok(ids.length >= 2);
      assert.deepEqual(
        ids,
        sock.sent.map((sent) => sent.id),
      );
      const texts = sock.sent.map((sent) => ("text" in sent.content ? sent.content.text : ""));
      assert.ok(texts[0]?.startsWith("*Title*\n\n0 "));
      assert.ok(texts.every((text) => text.length <= 4000));
    } finally {
      await channel.stop();
    }
  });

  it("tells transient failures (connection) from permanent ones (bad request)", async () => {
    const { channel, sock } = await connected();
    try {
      sock.sendFailures.push(boom(428, "Connection Closed"));
      await assert.rejects(channel.send(ALICE, "a", {}), TransientSendError);
      sock.sendFailures.push(boom(400, "bad-request"));
      await assert.rejects(channel.send(ALICE, "b", {}), (error: Error) => {
        assert.ok(!(error instanceof TransientSendError));
        assert.equal(error.message, "bad-request");
        return true;
      });
    } finally {
      await channel.stop();
    }
  });

  it("finishes a split reply after a reconnect instead of failing half-sent", async () => {
    const { channel, host, factory, timers, sock } = await connected();
    try {
      const text = Array.from({ length: 3 }, (_, i) => `${i} ${"y".repeat(3000)}`).join("\n\n");
      const send = sock.sendMessage.bind(sock);
      let calls = 0;
      sock.sendMessage = async (jid, content, options) => {
        calls += 1;
        if (calls === 2) {
          sock.emitClose(boom(428, "Connection Closed"));
          throw boom(428, "Connection Closed");
        }
        return send(jid, content, options);
      };
      const sending = channel.send(ALICE, text, {});
      await host.waitForStatus("reconnecting");
      timers.runAll();
      const second = await factory.socket(2);
      second.open();
      const ids = await sending;
      assert.equal(ids.length, 3);
      assert.equal(sock.sent.length, 1);
      assert.equal(second.sent.length, 2);
      assert.deepEqual(
        ids,
        [...sock.sent, ...second.sent].map((sent) => sent.id),
      );
    } finally {
      await channel.stop();
    }
  });

  it("shows typing with presence updates", async () => {
    const { channel, sock } = await connected();
    try {
      await channel.setTyping(ALICE, true);
      await channel.setTyping(ALICE, false);
      assert.deepEqual(sock.presence, [
        { type: "composing", jid: ALICE },
        { type: "paused", jid: ALICE },
      ]);
    } finally {
      await channel.stop();
    }
  });

  it("reacts to a received message with its full key, and clears the reaction", async () => {
    const { channel, host, sock } = await connected();
    try {
      const group = "120363000000000001@g.us";
      sock.upsert([
        {
          key: { remoteJid: group, fromMe: false, id: "G1", participant: ALICE },
          messageTimestamp: 1_700_000_000,
          message: { conversation: "hi" },
        },
      ]);
      await host.waitForMessage((message) => message.messageId === "G1");
      await channel.react(group, "G1", "👀");
      await channel.react(group, "G1", null);
      assert.deepEqual(
        sock.sent.map((sent) => sent.content),
        [
          {
            react: {
              text: "👀",
              key: { remoteJid: group, fromMe: false, id: "G1", participant: ALICE },
            },
          },
          {
            react: {
              text: "",
              key: { remoteJid: group, fromMe: false, id: "G1", participant: ALICE },
            },
          },
        ],
      );
    } finally {
      await channel.stop();
    }
  });
});

describe("WhatsApp files", () => {
  it("sends images up to 16 MB as images, larger ones and GIFs as documents", async () => {
    const { channel, sock } = await connected();
    const file = async (name: string, mimeType: string, size: number) => {
      const path = join(scratch, `${counter}-${name}`);
      await writeFile(path, "");
      await truncate(path, size);
      return { name, mimeType, size, path };
    };
    await channel.sendFile(ALICE, await file("small.png", "image/png", 10), {
      caption: "**look**",
    });
    await channel.sendFile(
      ALICE,
      await file("large.png", "image/png", WHATSAPP_MEDIA_MAX_BYTES + 1),
      {},
    );
    await channel.sendFile(ALICE, await file("moving.gif", "image/gif", 10), {});
    const kinds = sock.sent.map((sent) =>
      "image" in sent.content ? "image" : "document" in sent.content ? "document" : "other",
    );
    assert.deepEqual(kinds, ["image", "document", "document"]);
    const [image, large] = sock.sent;
    assert.equal((image!.content as { caption?: string }).caption, "*look*");
    assert.equal((large!.content as { fileName?: string }).fileName, "large.png");
    await channel.stop();
  });
});
