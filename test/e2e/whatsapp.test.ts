// WhatsApp end to end: the service as a process, Baileys inside it speaking the real
// protocol (Noise handshake, Signal-encrypted sends) to crabline's loopback WhatsApp
// server, the real Agent SDK and Claude Code CLI against the fake model. Every assertion on
// a reply is on what crabline decrypted and accepted from the service.
//
// Crabline cannot link a device, so each DATA_DIR starts with the auth state a finished
// pairing leaves behind; it cannot close a connection on demand either, so drops and
// outages are made by the TCP relay in front of it (see test/fakes/whatsapp/crabline.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { deferred } from "../helpers/wait.ts";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
  type FakeReply,
} from "../fakes/anthropic/server.ts";
import { CrablineWhatsApp, type DeliveredText } from "../fakes/whatsapp/crabline.ts";
import { seedLinkedDevice } from "../fakes/whatsapp/linked-device.ts";
import {
  api,
  channelState,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const API_KEY = "sk-ant-e2e-whatsapp-0000";
const OWNER = "15551234567@s.whatsapp.net";
/** Agent turns include a Claude Code process start; the machine may be slow. */
const REPLY_TIMEOUT = 90_000;

interface ReadyState {
  ready: boolean;
  channels: Record<string, string>;
}

async function readyz(service: Service): Promise<ReadyState> {
  return (await (await fetch(`${service.url}/readyz`)).json()) as ReadyState;
}

function whatsappStatus(service: Service, status: string) {
  return waitFor(
    async () => {
      const state = await channelState(service, "whatsapp");
      return state?.status === status ? state : undefined;
    },
    `whatsapp ${status}`,
    REPLY_TIMEOUT,
  );
}

function modelEnv(model: AnthropicFake): Record<string, string> {
  return { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: model.url };
}

function authDirOf(dataDir: string): string {
  return join(dataDir, "store/channels/whatsapp");
}

function readCreds(dataDir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(authDirOf(dataDir), "creds.json"), "utf8")) as Record<
    string,
    unknown
  >;
}

function promptsWith(model: AnthropicFake, marker: string): string[] {
  return model
    .mainRequests()
    .map((request) => lastUserText(request.body))
    .filter((text) => text.includes(marker));
}

function textsTo(whatsapp: CrablineWhatsApp, jid: string): string[] {
  return whatsapp.delivered.filter((text) => text.to === jid).map((text) => text.text);
}

function waitForText(
  whatsapp: CrablineWhatsApp,
  jid: string,
  pattern: RegExp,
): Promise<DeliveredText> {
  return waitFor(
    () => whatsapp.delivered.find((text) => text.to === jid && pattern.test(text.text)),
    `a message matching ${pattern} to ${jid}`,
    REPLY_TIMEOUT,
  );
}

/** How often the outbox has put a WhatsApp reply back for a retry. */
function whatsappRetries(service: Service): number {
  return service
    .output()
    .split("\n")
    .filter((line) => line.includes('"channel":"whatsapp"') && line.includes("will retry")).length;
}

describe("whatsapp end to end", () => {
  // One service for the cases below (a start costs seconds). node:test runs them in the order
  // written; each uses chats of its own, so none relies on what an earlier one left behind.
  const rules: { marker: string; reply: FakeReply }[] = [];
  const dataDir = tempDir();
  const serverDir = tempDir("pincer-crabline-");
  let model: AnthropicFake;
  let whatsapp: CrablineWhatsApp;
  let service: Service;
  let env: Record<string, string>;

  before(async () => {
    model = await startAnthropicFake((request) => {
      const text = lastUserText(request);
      const rule = rules.find((candidate) => text.includes(candidate.marker));
      return rule?.reply ?? { text: `echo: ${text}` };
    });
    whatsapp = await CrablineWhatsApp.start(join(serverDir, "recorder.jsonl"));
    await seedLinkedDevice(authDirOf(dataDir), whatsapp.selfJid);
    env = {
      ...modelEnv(model),
      WHATSAPP_WS_URL: whatsapp.wsUrl,
      // Were the link not recognised, the adapter would ask for a pairing code for this.
      WHATSAPP_PHONE: `+${whatsapp.selfPhone}`,
      MAIN_CHAT: `whatsapp:${OWNER}`,
    };
    service = await startService({ dataDir, env });
    await whatsappStatus(service, "connected");
  });
  after(async () => {
    await service?.stop();
    await whatsapp?.close();
    await model?.close();
    removeDir(dataDir);
    removeDir(serverDir);
  });

  /** Makes the service see a contact's chat (its first message stays unanswered), registers it. */
  async function registerContact(jid: string, pushName: string): Promise<void> {
    await whatsapp.inject({ chatJid: jid, senderJid: jid, pushName, text: "hello, anyone?" });
    await waitFor(async () => {
      const response = await api(service, "/api/groups");
      const { discovered } = (await response.json()) as {
        discovered: { channel: string; chatId: string }[];
      };
      return discovered.some((chat) => chat.channel === "whatsapp" && chat.chatId === jid)
        ? true
        : undefined;
    }, `${jid} to be discovered`);
    const response = await api(service, "/api/groups", {
      method: "POST",
      body: JSON.stringify({ chat: `whatsapp:${jid}`, requiresTrigger: false }),
    });
    assert.equal(response.status, 201, await response.text());
  }

  it("answers the owner's direct message in the MAIN_CHAT", async () => {
    await whatsapp.inject({
      chatJid: OWNER,
      senderJid: OWNER,
      pushName: "Olivia",
      text: "owner here: pincer-first-dm",
    });
    const reply = await waitForText(whatsapp, OWNER, /pincer-first-dm/);
    assert.match(reply.text, /^echo: <message from="Olivia"[^>]*>owner here: pincer-first-dm/);
    assert.deepEqual(textsTo(whatsapp, OWNER), [reply.text]);
    assert.equal(promptsWith(model, "pincer-first-dm").length, 1);
    assert.equal((await readyz(service)).channels.whatsapp, "connected");
  });

  it("delivers a reply that was ready while the server was unreachable, once, after reconnecting", async () => {
    const contact = "15557654321@s.whatsapp.net";
    await registerContact(contact, "Eve");
    // The model answers only once the connection is gone (released below).
    const answer = deferred();
    rules.push({
      marker: "pincer-slow-drop",
      reply: { text: "answer that outlived the drop", until: answer.promise },
    });
    const retriesBefore = whatsappRetries(service);

    await whatsapp.inject({
      chatJid: contact,
      senderJid: contact,
      pushName: "Eve",
      text: "pincer-slow-drop: think about it",
    });
    await waitFor(() => promptsWith(model, "pincer-slow-drop")[0], "the slow model call");
    const connectionsBefore = whatsapp.connections;
    // The server cuts the socket and stays out of reach until the reply has failed once.
    whatsapp.holdConnections();
    whatsapp.dropConnections();
    const down = await whatsappStatus(service, "reconnecting");
    assert.match(down.detail ?? "", /connection closed .*retrying in \d+s/);
    answer.resolve();
    await waitFor(
      () => whatsappRetries(service) > retriesBefore || undefined,
      "the reply to be put back for a retry",
      REPLY_TIMEOUT,
    );
    assert.ok(!textsTo(whatsapp, contact).some((text) => text.includes("outlived")));

    whatsapp.releaseConnections();
    await waitForText(whatsapp, contact, /^answer that outlived the drop$/);
    await whatsappStatus(service, "connected");
    assert.ok(whatsapp.connections > connectionsBefore, "Baileys opened a new connection");

    // A second exchange: a duplicate of the first reply would be delivered before it.
    await whatsapp.inject({
      chatJid: contact,
      senderJid: contact,
      pushName: "Eve",
      text: "pincer-after-drop: still there?",
    });
    const second = await waitForText(whatsapp, contact, /pincer-after-drop/);
    assert.deepEqual(textsTo(whatsapp, contact), ["answer that outlived the drop", second.text]);
    assert.equal(promptsWith(model, "pincer-slow-drop").length, 1, "one model turn");
  });

  it("keeps the link across a restart on the same DATA_DIR and answers again", async () => {
    const credsBefore = readCreds(dataDir);
    const sentBefore = whatsapp.delivered.length;
    assert.equal(await service.stop(), 0);

    service = await startService({ dataDir, env });
    const state = await whatsappStatus(service, "connected");
    assert.equal(state.detail, null);
    assert.doesNotMatch(service.output(), /"status":"pairing"|whatsapp pairing code/);
    const credsAfter = readCreds(dataDir);
    assert.deepEqual(credsAfter.noiseKey, credsBefore.noiseKey);
    assert.deepEqual(credsAfter.signedIdentityKey, credsBefore.signedIdentityKey);
    assert.deepEqual(credsAfter.me, credsBefore.me);
    assert.equal(credsAfter.registered, true);

    await whatsapp.inject({
      chatJid: OWNER,
      senderJid: OWNER,
      pushName: "Olivia",
      text: "pincer-after-restart: back?",
    });
    const reply = await waitForText(whatsapp, OWNER, /pincer-after-restart/);
    assert.match(reply.text, /^echo: <message from="Olivia"/);
    assert.deepEqual(
      whatsapp.delivered.slice(sentBefore).map((text) => text.text),
      [reply.text],
      "nothing from before the restart was sent again",
    );
  });
});

describe("whatsapp logged out by the server", () => {
  const dataDir = tempDir();
  const serverDir = tempDir("pincer-crabline-");
  let model: AnthropicFake;
  let whatsapp: CrablineWhatsApp;
  let service: Service;

  before(async () => {
    model = await startAnthropicFake();
    whatsapp = await CrablineWhatsApp.start(join(serverDir, "recorder.jsonl"));
    await seedLinkedDevice(authDirOf(dataDir), whatsapp.selfJid);
    service = await startService({
      dataDir,
      env: {
        ...modelEnv(model),
        WHATSAPP_WS_URL: whatsapp.wsUrlWithAccessToken("revoked-device-token"),
      },
    });
  });
  after(async () => {
    await service?.stop();
    await whatsapp?.close();
    await model?.close();
    removeDir(dataDir);
    removeDir(serverDir);
  });

  it("shows that WhatsApp must be linked again while the web chat keeps answering", async () => {
    const state = await whatsappStatus(service, "logged_out");
    assert.match(state.detail ?? "", /logged this device out \(401\)/);
    assert.match(state.detail ?? "", /To link again/);
    assert.equal((await readyz(service)).ready, true);

    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "web still works?");
    const reply = await waitFor(() => sse.messages()[0], "the web reply", REPLY_TIMEOUT);
    assert.match(reply.text, /web still works\?/);
    await sse.close();

    assert.equal(whatsapp.connections, 1, "no reconnect loop against a logged-out link");
    assert.doesNotMatch(service.output(), /"channel":"whatsapp","status":"reconnecting"/);
    // Anyone may see that WhatsApp is logged out; the why (and the path) is for the owner.
    assert.deepEqual((await readyz(service)).channels.whatsapp, "logged_out");
    assert.doesNotMatch(JSON.stringify(await readyz(service)), /link again|channels\/whatsapp/);
    assert.ok(existsSync(join(authDirOf(dataDir), "creds.json")), "the link data is kept");
  });
});
