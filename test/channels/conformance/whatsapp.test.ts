// The channel conformance cases for WhatsApp: real Baileys against crabline's loopback
// WhatsApp server, from a linked device (crabline cannot pair; see fakes/whatsapp/crabline.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { WhatsAppChannel } from "../../../src/channels/whatsapp/channel.ts";
import { CrablineWhatsApp } from "../../fakes/whatsapp/crabline.ts";
import { seedLinkedDevice } from "../../fakes/whatsapp/linked-device.ts";
import { ManualTimers } from "../../fakes/whatsapp/manual-timers.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { ASSISTANT_NAME, runConformanceCases, type ConformanceTarget } from "./cases.ts";

const ALICE = "15551234567@s.whatsapp.net";
const NO_RATE_LIMIT = "WhatsApp has no HTTP 429 or Retry-After, and crabline cannot refuse a send";
const CRABLINE_INJECTS = "crabline injects only new text and audio messages";

runConformanceCases({
  name: "WhatsApp",
  textLimit: 4000,
  authFailure: { status: "logged_out", detail: /logged this device out \(401\)/ },
  skip: {
    edit: CRABLINE_INJECTS,
    delete: CRABLINE_INJECTS,
    mention: `${CRABLINE_INJECTS}, without mentions, and has no group chats`,
    reaction:
      "crabline keeps a sent reaction only as its encrypted node: the emoji cannot be read back",
    "rate limit": NO_RATE_LIMIT,
    "rate limit mid-reply": NO_RATE_LIMIT,
  },
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const dir = await mkdtemp(join(tmpdir(), "pincer-conformance-whatsapp-"));
    const server = await CrablineWhatsApp.start(join(dir, "recorder.jsonl"));
    const authDir = join(dir, "auth");
    await seedLinkedDevice(authDir, server.selfJid);
    const host = new RecordingHost();
    const timers = new ManualTimers();
    const channel = new WhatsAppChannel({
      authDir,
      wsUrl: refuseAuth ? server.wsUrlWithAccessToken("revoked") : server.wsUrl,
      assistantName: ASSISTANT_NAME,
      logger: pino({ level: "silent" }),
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
