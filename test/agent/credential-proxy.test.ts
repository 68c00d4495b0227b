import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { CredentialProxy, type Credential } from "../../src/agent/credential-proxy.ts";
import {
  createLogger,
  RecentLines,
  redactSecrets,
  secretCount,
  type Logger,
} from "../../src/log.ts";
import type { UsageRecord } from "../../src/store/usage.ts";
import { deferred } from "../helpers/wait.ts";

const REAL_KEY = "sk-ant-real-key-0123456789";
const logger = createLogger("silent");

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const messageJson = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5",
  content: [{ type: "text", text: "Hi" }],
  usage: { input_tokens: 11, output_tokens: 3 },
};

function replyJson(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(messageJson));
}

// The fake model API: records what reached it and answers with the current handler.
const seen: SeenRequest[] = [];
let handler: Handler = replyJson;
const upstream: Server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    void handler(req, res);
  });
});
let upstreamUrl = "";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const proxies: CredentialProxy[] = [];

async function startProxy(
  credential: Credential = { apiKey: REAL_KEY },
  target = upstreamUrl,
  overrides: { logger?: Logger; onUsage?: (record: UsageRecord) => void } = {},
): Promise<{ proxy: CredentialProxy; usage: UsageRecord[] }> {
  const usage: UsageRecord[] = [];
  const proxy = new CredentialProxy({
    upstream: target,
    credential,
    logger: overrides.logger ?? logger,
    onUsage: overrides.onUsage ?? ((record) => usage.push(record)),
    refuse: (groupId) => (groupId === 666 ? "this group is over its budget" : undefined),
  });
  await proxy.start();
  proxies.push(proxy);
  return { proxy, usage };
}

function post(proxy: CredentialProxy, headers: Record<string, string>, path = "/v1/messages") {
  return fetch(`${proxy.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 10, messages: [] }),
  });
}

/** Sends the request target exactly as given (fetch would normalise `/./` and `..`). */
function rawRequest(
  proxy: CredentialProxy,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(proxy.url);
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: { "content-type": "application/json", ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on("error", reject);
    req.end(
      method === "GET" ? undefined : JSON.stringify({ model: "claude-sonnet-4-5", messages: [] }),
    );
  });
}

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: RecentLines } {
  const lines = new RecentLines(100);
  return { logger: createLogger("info", { write: () => undefined }, lines), lines };
}

before(async () => {
  upstreamUrl = `http://127.0.0.1:${await listen(upstream)}`;
});

beforeEach(() => {
  seen.length = 0;
  handler = replyJson;
});

after(async () => {
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

test("a request without a token or with a wrong one is refused before the upstream", async () => {
  const { proxy } = await startProxy();
  const issued = proxy.issueToken(1);
  const attempts: Record<string, string>[] = [
    {},
    { "x-api-key": "pincer-not-a-token" },
    { "x-api-key": `${issued}x` },
    { authorization: "Bearer pincer-wrong" },
    { "x-api-key": REAL_KEY },
  ];
  for (const headers of attempts) {
    const res = await post(proxy, headers);
    assert.equal(res.status, 401, JSON.stringify(headers));
    const body = (await res.json()) as { type: string; error: { type: string } };
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "authentication_error");
  }
  assert.equal(seen.length, 0);
});

test("an issued token is swapped for the real API key; usage is counted for its group", async () => {
  const { proxy, usage } = await startProxy();
  const token = proxy.issueToken(7);
  const res = await post(proxy, { "x-api-key": token }, "/v1/messages?beta=true");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), messageJson);

  assert.equal(seen.length, 1);
  const request = seen[0]!;
  assert.equal(request.method, "POST");
  assert.equal(request.url, "/v1/messages?beta=true");
  assert.equal(request.headers["x-api-key"], REAL_KEY);
  assert.equal(request.headers.authorization, undefined);
  assert.equal(request.headers["anthropic-version"], "2023-06-01");
  assert.ok(!JSON.stringify(request.headers).includes(token));
  assert.equal(JSON.parse(request.body).model, "claude-sonnet-4-5");

  assert.equal(usage.length, 1);
  assert.equal(usage[0]!.groupId, 7);
  assert.equal(usage[0]!.model, "claude-sonnet-4-5");
  assert.equal(usage[0]!.inputTokens, 11);
  assert.equal(usage[0]!.outputTokens, 3);
});

test("the body reaches the upstream as sent, with its length rather than chunked", async () => {
  const { proxy } = await startProxy();
  const token = proxy.issueToken(7);
  const body = JSON.stringify({
    model: "claude-sonnet-4-5",
    messages: [],
    pad: "é".repeat(70_000),
  });
  const res = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": token, "content-type": "application/json" },
    body,
  });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  const request = seen[0]!;
  assert.equal(request.body, body);
  assert.equal(request.headers["content-length"], String(Buffer.byteLength(body)));
  assert.equal(request.headers["transfer-encoding"], undefined);
});

test("tokens of different groups are told apart", async () => {
  const { proxy, usage } = await startProxy();
  const first = proxy.issueToken(1);
  const second = proxy.issueToken(2);
  await (await post(proxy, { "x-api-key": second })).text();
  await (await post(proxy, { authorization: `Bearer ${first}` })).text();
  assert.deepEqual(
    usage.map((record) => record.groupId),
    [2, 1],
  );
});

test("with an auth token the upstream gets it as a Bearer header and no x-api-key", async () => {
  const { proxy } = await startProxy({ authToken: "gateway-secret-token" });
  const token = proxy.issueToken(3);
  const res = await post(proxy, { authorization: `Bearer ${token}` });
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(seen[0]!.headers.authorization, "Bearer gateway-secret-token");
  assert.equal(seen[0]!.headers["x-api-key"], undefined);
  assert.ok(!JSON.stringify(seen[0]!.headers).includes(token));
});

test(
  "a streamed response reaches the client before the upstream has finished",
  { timeout: 20_000 },
  async () => {
    const { proxy, usage } = await startProxy();
    const token = proxy.issueToken(5);
    const release = deferred();
    let upstreamEnded = false;
    const start = {
      type: "message_start",
      message: { model: "claude-opus-4-1", usage: { input_tokens: 40, output_tokens: 1 } },
    };
    const delta = { type: "message_delta", usage: { output_tokens: 21 } };
    handler = async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`);
      await release.promise;
      res.write(`event: message_delta\ndata: ${JSON.stringify(delta)}\n\n`);
      res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
      upstreamEnded = true;
    };

    const res = await post(proxy, { "x-api-key": token });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    while (!received.includes("\n\n")) {
      const { value, done } = await reader.read();
      assert.equal(done, false, "stream ended before the first event");
      received += decoder.decode(value, { stream: true });
    }
    assert.match(received, /^event: message_start\n/);
    assert.equal(upstreamEnded, false);
    assert.equal(usage.length, 0);

    release.resolve();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    assert.ok(upstreamEnded);
    assert.match(received, /message_delta[\s\S]*message_stop/);
    assert.deepEqual(
      usage.map(({ at: _at, ...rest }) => rest),
      [
        {
          groupId: 5,
          model: "claude-opus-4-1",
          inputTokens: 40,
          outputTokens: 21,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        },
      ],
    );
  },
);

test("a revoked token is refused", async () => {
  const { proxy } = await startProxy();
  const token = proxy.issueToken(9);
  const ok = await post(proxy, { "x-api-key": token });
  assert.equal(ok.status, 200);
  await ok.text();
  proxy.revokeToken(token);
  const res = await post(proxy, { "x-api-key": token });
  assert.equal(res.status, 401);
  await res.text();
  assert.equal(seen.length, 1);
});

test("upstream errors pass through unmetered", async () => {
  const { proxy, usage } = await startProxy();
  handler = (_req, res) => {
    res.writeHead(529, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "x" } }));
  };
  const res = await post(proxy, { "x-api-key": proxy.issueToken(4) });
  assert.equal(res.status, 529);
  assert.equal(((await res.json()) as { error: { type: string } }).error.type, "overloaded_error");
  assert.equal(usage.length, 0);
});

test("a refused group gets a final 403 without reaching the upstream", async () => {
  const { proxy } = await startProxy();
  const res = await post(proxy, { "x-api-key": proxy.issueToken(666) });
  assert.equal(res.status, 403);
  const body = (await res.json()) as { error: { type: string; message: string } };
  assert.deepEqual(body.error, {
    type: "permission_error",
    message: "this group is over its budget",
  });
  assert.equal(seen.length, 0);
});

test("the upstream's base path is kept", async () => {
  const { proxy } = await startProxy({ apiKey: REAL_KEY }, `${upstreamUrl}/gateway/anthropic/`);
  const res = await post(proxy, { "x-api-key": proxy.issueToken(1) });
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(seen[0]!.url, "/gateway/anthropic/v1/messages");
});

test("an unreachable upstream is a 502 that says so", async () => {
  const closed = createServer();
  const port = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  const { proxy } = await startProxy({ apiKey: REAL_KEY }, `http://127.0.0.1:${port}`);
  const res = await post(proxy, { "x-api-key": proxy.issueToken(1) });
  assert.equal(res.status, 502);
  const body = (await res.json()) as { type: string; error: { type: string; message: string } };
  assert.equal(body.type, "error");
  assert.equal(body.error.type, "api_error");
  assert.match(body.error.message, /^model API unreachable: .*ECONNREFUSED/);
});

test("only POST /v1/messages and /v1/messages/count_tokens reach the upstream", async () => {
  const { proxy, usage } = await startProxy();
  const token = proxy.issueToken(1);
  const refused: [string, string][] = [
    ["POST", "/v1/messages/batches"],
    ["GET", "/v1/messages/batches/msgbatch_1/results"],
    ["GET", "/v1/files"],
    ["GET", "/v1/files/file_1/content"],
    ["DELETE", "/v1/files/file_1"],
    ["GET", "/v1/models"],
    ["GET", "/v1/messages"],
    ["PUT", "/v1/messages"],
    // Spellings that normalise to the Messages API: checked as sent, never rewritten.
    ["POST", "/./v1/messages"],
    ["POST", "/%2e/v1/messages"],
    ["POST", "/v1/x/../messages"],
    ["POST", "/v1/messages/"],
    ["POST", "/v1//messages"],
    ["POST", "/v1/messages%2Fbatches"],
    ["POST", "/v1/messages/count_tokens/../batches"],
    ["POST", "/V1/messages"],
    ["POST", "/v1/messages;x"],
    ["POST", "http://127.0.0.1:1/v1/messages"],
    ["POST", '/v1/messages?a=b"c'],
  ];
  for (const [method, path] of refused) {
    const res = await rawRequest(proxy, method, path, { "x-api-key": token });
    const what = `${method} ${path}`;
    assert.ok(res.status === 404 || res.status === 405, `${what}: ${res.status}`);
    const body = JSON.parse(res.body) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, "error", what);
    assert.equal(body.error.type, res.status === 405 ? "invalid_request_error" : "not_found_error");
    assert.match(
      body.error.message,
      /only POST \/v1\/messages and POST \/v1\/messages\/count_tokens/,
    );
    assert.ok(body.error.message.includes(method), what);
  }
  assert.deepEqual(seen, [], "the upstream saw a refused request");
  assert.equal(usage.length, 0);
});

test("the budget cannot be bypassed by another spelling of the Messages API", async () => {
  const { proxy } = await startProxy();
  const token = proxy.issueToken(666);
  for (const path of ["/./v1/messages", "/%2e/v1/messages", "/v1/x/../messages"]) {
    const res = await rawRequest(proxy, "POST", path, { "x-api-key": token });
    assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
  }
  assert.equal(seen.length, 0);
});

test("count_tokens is forwarded as sent, with its query string, and is not refused by the budget", async () => {
  const { proxy, usage } = await startProxy();
  handler = (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ input_tokens: 42 }));
  };
  const res = await rawRequest(proxy, "POST", "/v1/messages/count_tokens?beta=true", {
    "x-api-key": proxy.issueToken(666),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), { input_tokens: 42 });
  assert.deepEqual(
    seen.map((request) => `${request.method} ${request.url}`),
    ["POST /v1/messages/count_tokens?beta=true"],
  );
  assert.equal(usage.length, 0, "counting tokens costs nothing");
});

test("a failure to record usage is logged once and the proxy keeps serving", async () => {
  const { logger: captured, lines } = capturingLogger();
  let attempts = 0;
  const { proxy } = await startProxy({ apiKey: REAL_KEY }, upstreamUrl, {
    logger: captured,
    onUsage: () => {
      attempts++;
      throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    },
  });
  const token = proxy.issueToken(2);
  for (let i = 0; i < 3; i++) {
    const res = await post(proxy, { "x-api-key": token });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), messageJson);
  }
  assert.equal(attempts, 3);
  const errors = lines.read("error");
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0]!.msg, /usage.*database or disk is full/);
});

test("refused model calls log one line, not one per call", async () => {
  const { logger: captured, lines } = capturingLogger();
  const { proxy } = await startProxy({ apiKey: REAL_KEY }, upstreamUrl, { logger: captured });
  const token = proxy.issueToken(666);
  for (let i = 0; i < 5; i++) {
    const res = await post(proxy, { "x-api-key": token });
    assert.equal(res.status, 403);
    await res.text();
  }
  for (let i = 0; i < 5; i++) await rawRequest(proxy, "GET", "/v1/models", { "x-api-key": token });
  assert.deepEqual(
    lines.read().map((line) => line.msg.replace(/:.*/, "")),
    ["model call refused", "agent request refused"],
  );
});

test("a session's token is masked in logs while it lives, and the masked set does not grow", async () => {
  const { proxy } = await startProxy();
  const before = secretCount();
  for (let i = 0; i < 100; i++) {
    const token = proxy.issueToken(i);
    assert.equal(redactSecrets(`key ${token}`), "key [redacted]");
    proxy.revokeToken(token);
  }
  assert.equal(secretCount(), before);
});

// A bug found in review, pinned by a test that failed before its fix.
test("the credential proxy never forwards to a host named in the request target", async (t) => {
  const attackerSaw: IncomingHttpHeaders[] = [];
  const attacker = createServer((req, res) => {
    attackerSaw.push(req.headers);
    res.end("{}");
  });
  const attackerUrl = `http://127.0.0.1:${await listen(attacker)}`;
  const target = createServer((_req, res) => res.end("{}"));
  const targetUrl = `http://127.0.0.1:${await listen(target)}`;
  const proxy = new CredentialProxy({
    upstream: targetUrl,
    credential: { apiKey: "sk-real-key-123456" },
    logger,
    onUsage: () => undefined,
  });
  await proxy.start();
  // Closed however the test ends: an open server would keep this file's process alive.
  t.after(async () => {
    await proxy.stop();
    attacker.close();
    target.close();
  });
  const token = proxy.issueToken(1);
  const { port } = new URL(proxy.url);
  const attackerHost = new URL(attackerUrl).host;
  for (const path of [`//${attackerHost}/v1/messages`, `${attackerUrl}/v1/messages`]) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
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
  assert.equal(attackerSaw.length, 0, "the attacker's server was never called");
});

test("a new credential applies to the next call; a token bound to a candidate uses that one alone", async () => {
  const { proxy } = await startProxy();
  const session = proxy.issueToken(1);
  const candidate = proxy.issueToken(1, {
    url: upstreamUrl,
    credential: { apiKey: "sk-ant-candidate-key-0000" },
  });
  await (await post(proxy, { "x-api-key": candidate })).text();
  await (await post(proxy, { "x-api-key": session })).text();
  proxy.setUpstream({ url: upstreamUrl, credential: { authToken: "gateway-token-after" } });
  await (await post(proxy, { "x-api-key": session })).text();
  assert.deepEqual(
    seen.map((request) => [request.headers["x-api-key"], request.headers.authorization]),
    [
      ["sk-ant-candidate-key-0000", undefined],
      [REAL_KEY, undefined],
      [undefined, "Bearer gateway-token-after"],
    ],
  );
});
