// Wrong input gets a clear error and the service keeps serving.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  api,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

describe("bad input to a service without an API key", () => {
  let service: Service;
  const dataDir = tempDir();

  before(async () => {
    service = await startService({ dataDir });
  });
  after(async () => {
    await service.stop();
    removeDir(dataDir);
  });

  it("starts, reports ready, and says on the page what is missing", async () => {
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
      ready: boolean;
      credential: string;
    };
    assert.equal(ready.ready, true);
    assert.equal(ready.credential, "missing");
    const page = await (await fetch(`${service.url}/`)).text();
    assert.match(page, /ANTHROPIC_API_KEY is not set/);
  });

  it("answers a chat message with what is missing instead of silence", async () => {
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "hello?");
    const reply = await waitFor(() => sse.messages()[0], "the reply");
    assert.match(reply.text, /ANTHROPIC_API_KEY/);
    await sse.close();
  });

  it("rejects a wrong or missing admin token", async () => {
    const wrong = await fetch(`${service.url}/api/chat/messages`, {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as { error: string }).error, /admin token/);
    assert.equal((await fetch(`${service.url}/api/chat/events`)).status, 401);
    const login = await fetch(`${service.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: "wrong-token" }),
    });
    assert.equal(login.status, 401);
  });

  it("logs in with the token and uses the session cookie", async () => {
    const login = await fetch(`${service.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: service.token }),
    });
    assert.equal(login.status, 200);
    const cookie = login.headers.get("set-cookie")!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    const status = await fetch(`${service.url}/api/status`, {
      headers: { cookie: cookie.split(";")[0]! },
    });
    assert.equal(status.status, 200);
  });

  it("names the problem with empty, huge, unknown-field and non-JSON messages", async () => {
    const post = (body: string, type = "application/json") =>
      api(service, "/api/chat/messages", {
        method: "POST",
        body,
        headers: { "content-type": type },
      });
    const empty = await post(JSON.stringify({ text: "   " }));
    assert.equal(empty.status, 400);
    assert.equal(
      ((await empty.json()) as { error: string }).error,
      "Your message is empty: type something to send.",
    );

    const huge = await post(JSON.stringify({ text: "x".repeat(1_000_000) }));
    assert.equal(huge.status, 413);
    assert.match(((await huge.json()) as { error: string }).error, /too large/);

    const unknown = await post(JSON.stringify({ text: "hi", priority: "high" }));
    assert.equal(unknown.status, 400);
    assert.match(
      ((await unknown.json()) as { error: string }).error,
      /unknown field\(s\): priority/,
    );

    const broken = await post("{not json");
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as { error: string }).error, /not valid JSON/);

    const text = await post("hello", "text/plain");
    assert.equal(text.status, 415);

    assert.equal((await fetch(`${service.url}/healthz`)).status, 200, "still serving");
  });
});

describe("invalid configuration", () => {
  it("stops start-up with a message naming the variable", async () => {
    const dataDir = tempDir();
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL("../../src/main.ts", import.meta.url))],
      {
        cwd: dataDir,
        env: {
          PATH: process.env.PATH,
          DATA_DIR: dataDir,
          TZ: "Mars/Olympus_Mons",
          MAX_CONCURRENT_AGENTS: "lots",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    removeDir(dataDir);
    assert.equal(code, 2);
    assert.match(stderr, /TZ: expected an IANA time zone/);
    assert.match(stderr, /MAX_CONCURRENT_AGENTS: expected a whole number/);
  });
});

describe("a model API that cannot be reached", () => {
  it("tells the chat the cause, as the setup page's check does", async (t) => {
    const dataDir = tempDir();
    // Port 1 on loopback: nothing listens there, so every call is refused at once.
    const service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-unreachable-0000",
        ANTHROPIC_BASE_URL: "http://127.0.0.1:1",
        MODEL_MAX_RETRIES: "0",
      },
    });
    t.after(async () => {
      await service.stop();
      removeDir(dataDir);
    });
    const sse = listen(service, 0);
    await sse.ready;
    t.after(() => sse.close());
    await sendChat(service, "are you there?");
    const reply = await waitFor(() => sse.messages()[0], "the chat's error message");
    assert.match(
      reply.text,
      /^I can't reach Claude: the model API did not answer \(.*ECONNREFUSED.*\)\. The owner can check the model API URL on the setup page\.$/,
    );
  });
});
