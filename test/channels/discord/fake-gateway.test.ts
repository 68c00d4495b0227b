// The fake's gateway at the frame level, where discord.js's message cache cannot hide a
// duplicated or missing replay: sequence numbers, RESUME replay, invalid sessions, 4004.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { startDiscordFake } from "../../fakes/discord/server.ts";
import type { DiscordFake } from "../../fakes/discord/server.ts";

const GUILD = "230000000000000001";
const GENERAL = "330000000000000001";
const BOB = { id: "530000000000000001", username: "bob" };
const INTENTS = (1 << 0) | (1 << 9) | (1 << 15);

interface Frame {
  op: number;
  s?: number | null;
  t?: string | null;
  d?: unknown;
}

class GatewayClient {
  readonly frames: Frame[] = [];
  readonly socket: WebSocket;
  closeCode: number | null = null;
  readonly #waiters = new Set<() => void>();

  constructor(url: string) {
    this.socket = new WebSocket(`${url}?v=10&encoding=json`);
    this.socket.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.#notify();
    });
    this.socket.on("close", (code) => {
      this.closeCode = code;
      this.#notify();
    });
  }

  send(frame: Frame): void {
    const text = JSON.stringify(frame);
    if (this.socket.readyState === WebSocket.CONNECTING)
      this.socket.once("open", () => this.socket.send(text));
    else this.socket.send(text);
  }

  dispatches(): Frame[] {
    return this.frames.filter((frame) => frame.op === 0);
  }

  until(predicate: () => boolean, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames)}`));
      }, 10_000);
      this.#waiters.add(check);
    });
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

describe("Discord fake: gateway protocol", () => {
  let fake: DiscordFake;
  let gatewayUrl: string;

  before(async () => {
    fake = await startDiscordFake({ token: "protocol-token" });
    fake.addGuild({ id: GUILD, name: "Crab Club", channels: [{ id: GENERAL, name: "general" }] });
    const response = await fetch(`${fake.apiUrl}/v10/gateway/bot`, {
      headers: { authorization: `Bot ${fake.token}` },
    });
    gatewayUrl = ((await response.json()) as { url: string }).url;
  });

  after(() => fake.close());

  it("says HELLO, answers heartbeats and sends READY then GUILD_CREATE", async () => {
    const client = new GatewayClient(gatewayUrl);
    await client.until(() => client.frames.length > 0, "HELLO");
    assert.equal(client.frames[0]?.op, 10);
    client.send({ op: 1, d: null });
    await client.until(() => client.frames.some((frame) => frame.op === 11), "heartbeat ACK");
    client.send({ op: 2, d: { token: fake.token, intents: INTENTS, properties: {} } });
    await client.until(() => client.dispatches().length >= 2, "READY and GUILD_CREATE");
    const [ready, guild] = client.dispatches();
    assert.equal(ready?.t, "READY");
    assert.equal(ready?.s, 1);
    const data = ready?.d as {
      session_id: string;
      resume_gateway_url: string;
      user: { id: string };
    };
    assert.ok(data.session_id);
    assert.equal(data.user.id, fake.botUser.id);
    assert.match(data.resume_gateway_url, /^ws:\/\/127\.0\.0\.1:\d+\/resume$/);
    assert.equal(guild?.t, "GUILD_CREATE");
    assert.equal(guild?.s, 2);
    client.socket.close(1000);
  });

  it("replays exactly the dispatches after the resumed sequence, then RESUMED", async () => {
    const first = new GatewayClient(gatewayUrl);
    first.send({ op: 2, d: { token: fake.token, intents: INTENTS, properties: {} } });
    await first.until(() => first.dispatches().length >= 2, "READY");
    const sessionId = (first.dispatches()[0]?.d as { session_id: string }).session_id;
    fake.injectMessage({ channelId: GENERAL, author: BOB, content: "seen" });
    await first.until(() => first.dispatches().length >= 3, "first message");
    const seen = first.dispatches().at(-1)?.s as number;

    fake.dropConnections();
    fake.injectMessage({ channelId: GENERAL, author: BOB, content: "missed one" });
    fake.injectMessage({ channelId: GENERAL, author: BOB, content: "missed two" });

    const second = new GatewayClient(`${gatewayUrl}/resume`);
    second.send({ op: 6, d: { token: fake.token, session_id: sessionId, seq: seen } });
    await second.until(() => second.dispatches().some((frame) => frame.t === "RESUMED"), "RESUMED");
    const replayed = second.dispatches();
    assert.deepEqual(
      replayed.map((frame) => [frame.s, frame.t, (frame.d as { content?: string }).content]),
      [
        [seen + 1, "MESSAGE_CREATE", "missed one"],
        [seen + 2, "MESSAGE_CREATE", "missed two"],
        [seen + 3, "RESUMED", undefined],
      ],
    );
    second.socket.close(1000);
  });

  it("refuses to resume a cleanly closed session with INVALID_SESSION", async () => {
    const client = new GatewayClient(gatewayUrl);
    client.send({ op: 2, d: { token: fake.token, intents: INTENTS, properties: {} } });
    await client.until(() => client.dispatches().length >= 1, "READY");
    const sessionId = (client.dispatches()[0]?.d as { session_id: string }).session_id;
    client.socket.close(1000);
    await client.until(() => client.closeCode !== null, "close");

    const retry = new GatewayClient(gatewayUrl);
    retry.send({ op: 6, d: { token: fake.token, session_id: sessionId, seq: 1 } });
    await retry.until(() => retry.frames.some((frame) => frame.op === 9), "INVALID_SESSION");
    assert.equal(retry.frames.find((frame) => frame.op === 9)?.d, false);
    retry.socket.close(1000);
  });

  it("closes with 4004 on a wrong token", async () => {
    const client = new GatewayClient(gatewayUrl);
    client.send({ op: 2, d: { token: "wrong", intents: INTENTS, properties: {} } });
    await client.until(() => client.closeCode !== null, "close");
    assert.equal(client.closeCode, 4004);
  });
});
