// Bugs found in review, each pinned by a test that failed before its fix.
import { it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CredentialProxy } from "../../src/agent/credential-proxy.ts";
import { UsageMeter } from "../../src/agent/usage-meter.ts";
import { bashGuardProblem } from "../../src/agent/hooks.ts";
import { AgentPool, type PoolSession } from "../../src/core/agent-pool.ts";
import { splitMessage } from "../../src/channels/split.ts";
import { Delivery } from "../../src/core/delivery.ts";
import { loadConfig } from "../../src/config.ts";
import { openDb } from "../../src/store/db.ts";
import { getDelivery } from "../../src/store/outbox.ts";
import { createLogger } from "../../src/log.ts";
import type { Channel } from "../../src/channels/channel.ts";

const silent = createLogger("silent");

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; close(): void }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

it("the credential proxy never forwards to a host named in the request target", async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const attacker = await listen((req, res) => {
    seen.push(req.headers);
    res.end("{}");
  });
  const upstream = await listen((_req, res) => res.end("{}"));
  const proxy = new CredentialProxy({
    upstream: upstream.url,
    credential: { apiKey: "sk-real-key-123456" },
    logger: silent,
    onUsage: () => undefined,
  });
  await proxy.start();
  // Closed however the test ends: an open server would keep this file's process alive.
  t.after(async () => {
    await proxy.stop();
    attacker.close();
    upstream.close();
  });
  const token = proxy.issueToken(1);
  const { port } = new URL(proxy.url);
  const attackerHost = new URL(attacker.url).host;
  for (const path of [`//${attackerHost}/v1/messages`, `${attacker.url}/v1/messages`]) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, path, method: "POST", headers: { "x-api-key": token } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    // Refused as a path the proxy does not forward (only POST /v1/messages[/count_tokens]).
    assert.equal(status, 404, path);
  }
  assert.equal(seen.length, 0, "the attacker's server was never called");
});

it("the Bash guard sees through path spellings and ps's environment flag", () => {
  for (const command of [
    "cat /proc/1/task/1/environ",
    "cat /proc/1//environ",
    "cat /proc/1/./environ",
    "cd /proc/1 && cat environ",
    "ps eww -p 1",
    "cat /data//store/pincer.db",
  ]) {
    assert.ok(bashGuardProblem(command, ["/data/store"]), command);
  }
  assert.equal(bashGuardProblem("ps -ef", ["/data/store"]), undefined);
});

it("the pool keeps warm sessions when a waiting group only waits for its own old session", () => {
  const closed: number[] = [];
  const session = (id: number): PoolSession => ({
    busy: false,
    lastActivity: id,
    close: async () => void closed.push(id),
  });
  const pool = new AgentPool(4, { open: session });
  pool.acquire(1);
  pool.acquire(2);
  pool.closeGroup(1);
  pool.acquire(1);
  closed.length = 0;
  pool.idle(2);
  assert.deepEqual(closed, [], "two slots are free; nobody needs group 2's process");
});

it("split neither sends an empty code block nor overruns the limit with a long info string", () => {
  const chunks = splitMessage("```js\n" + "a".repeat(30) + "\n```\nafter", 40);
  assert.ok(!chunks.some((chunk) => /^```\w*\n```$/.test(chunk)), JSON.stringify(chunks));
  const long = splitMessage("```" + "x".repeat(60) + "\n" + "code line\n".repeat(20) + "```", 40);
  assert.ok(
    long.every((chunk) => chunk.length <= 40),
    JSON.stringify(long),
  );
});

it("a throwing 'delivered' listener does not turn a sent message into a failed one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pincer-reg-"));
  const db = openDb(join(dir, "pincer.db"));
  const channel: Channel = {
    name: "telegram",
    start: async () => undefined,
    stop: async () => undefined,
    send: async () => ["1"],
  };
  const delivery = new Delivery({
    db,
    channels: new Map([["telegram", channel]]),
    logger: silent,
    assistantName: "Andy",
  });
  delivery.on("delivered", () => {
    throw new Error("listener bug");
  });
  const id = delivery.enqueue({ channel: "telegram", chatId: "c", text: "hello" });
  await delivery.settled().catch(() => undefined);
  assert.equal(getDelivery(db, id)?.status, "sent");
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

it("an empty PORT means the default and a zero idle timeout is refused", () => {
  assert.equal(loadConfig({ PORT: "" }).PORT, 3000);
  assert.throws(() => loadConfig({ PORT: "0x1F90" }), /PORT/);
  assert.throws(() => loadConfig({ AGENT_IDLE_TIMEOUT: "0s" }), /AGENT_IDLE_TIMEOUT/);
});

it("the usage meter reads SSE framed with CRLF, even across chunks", () => {
  const meter = new UsageMeter("text/event-stream");
  const stream =
    'event: message_start\r\ndata: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":7}}}\r\n\r\n' +
    'event: message_delta\r\ndata: {"type":"message_delta","usage":{"output_tokens":3}}\r\n\r\n';
  const cut = stream.indexOf("\r\n\r\n") + 1;
  meter.push(Buffer.from(stream.slice(0, cut)));
  meter.push(Buffer.from(stream.slice(cut)));
  assert.deepEqual(meter.finish(), {
    model: "m",
    inputTokens: 7,
    outputTokens: 3,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  });
});
