// The admin API against the real service: who may call it (token, session cookie, CSRF,
// rate limit), the setup check through the credential proxy, token rotation, and a clear
// 4xx for bad input on every endpoint.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { api, listen, removeDir, startService, tempDir, waitFor, type Service } from "./harness.ts";

interface Session {
  cookie: string;
  csrf: string;
}

async function logIn(url: string, token: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ token }),
  });
}

async function session(url: string, token: string): Promise<Session> {
  const response = await logIn(url, token);
  assert.equal(response.status, 200);
  const { csrf } = (await response.json()) as { csrf: string };
  return { cookie: response.headers.get("set-cookie")!.split(";")[0]!, csrf };
}

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

/** Every endpoint under /api/ that needs the token, with a harmless request for each. */
const GUARDED: [string, string][] = [
  ["GET", "/api/status"],
  ["GET", "/api/setup"],
  ["POST", "/api/setup/verify"],
  ["GET", "/api/setup/whatsapp-qr.svg"],
  ["GET", "/api/events"],
  ["GET", "/api/activity"],
  ["GET", "/api/chat/messages"],
  ["POST", "/api/chat/messages"],
  ["GET", "/api/chat/events"],
  ["POST", "/api/chat/stop"],
  ["GET", "/api/groups"],
  ["POST", "/api/groups"],
  ["PATCH", "/api/groups/main"],
  ["DELETE", "/api/groups/main"],
  ["GET", "/api/groups/main/messages"],
  ["GET", "/api/memory/main"],
  ["PUT", "/api/memory/main"],
  ["GET", "/api/tasks"],
  ["GET", "/api/tasks/1/runs"],
  ["POST", "/api/tasks/1/pause"],
  ["GET", "/api/usage"],
  ["GET", "/api/usage/daily"],
  ["GET", "/api/budget"],
  ["PUT", "/api/budget"],
  ["GET", "/api/outbox/failed"],
  ["GET", "/api/logs"],
  ["GET", "/api/backup"],
  ["GET", "/api/skills"],
  ["POST", "/api/skills"],
  ["POST", "/api/skills/x/update"],
  ["DELETE", "/api/skills/x"],
  ["POST", "/api/skills/requests/1/approve"],
  ["POST", "/api/token/rotate"],
  ["POST", "/api/logout"],
];

const PAGES = [
  "/",
  "/setup",
  "/groups",
  "/memory/main",
  "/conversations",
  "/tasks",
  "/skills",
  "/usage",
  "/logs",
];

describe("admin API", () => {
  // One service for the cases below (a start costs seconds). node:test runs them in the order
  // written; each uses chats of its own, so none relies on what an earlier one left behind.
  let fake: AnthropicFake;
  let service: Service;
  const dataDir = tempDir();

  before(async () => {
    fake = await startAnthropicFake();
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-test-000000",
        ANTHROPIC_BASE_URL: fake.url,
        MAX_ATTACHMENT_BYTES: "200000",
        // The test plays the proxy in front: its X-Forwarded-For names the client.
        TRUST_PROXY: "1",
      },
    });
  });
  after(async () => {
    await service?.stop();
    await fake?.close();
    removeDir(dataDir);
  });

  it("answers 401 on every endpoint without a token, and sends pages to the login", async () => {
    for (const [method, path] of GUARDED) {
      const response = await fetch(`${service.url}${path}`, { method });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.match(await errorOf(response), /admin token/);
    }
    for (const [index, path] of ["/api/status", "/api/groups", "/api/logs"].entries()) {
      const response = await fetch(`${service.url}${path}`, {
        headers: {
          authorization: "Bearer not-the-token",
          "x-forwarded-for": `198.51.100.${index}`,
        },
      });
      assert.equal(response.status, 401, path);
    }
    for (const path of PAGES) {
      const response = await fetch(`${service.url}${path}`, { redirect: "manual" });
      assert.equal(response.status, 303, path);
      assert.equal(
        response.headers.get("location"),
        `/login?next=${encodeURIComponent(path)}`,
        path,
      );
    }
    const login = await fetch(`${service.url}/login`);
    assert.equal(login.status, 200);
    assert.doesNotMatch(await login.text(), /pair|Main|Scheduled/);
  });

  it("needs the CSRF token and this site as origin for writes with the session cookie", async () => {
    const { cookie, csrf } = await session(service.url, service.token);
    const write = (headers: Record<string, string>) =>
      fetch(`${service.url}/api/memory/main`, {
        method: "PUT",
        headers: { cookie, "content-type": "application/json", ...headers },
        body: JSON.stringify({ content: "# Main\n" }),
      });
    const missing = await write({});
    assert.equal(missing.status, 403);
    assert.match(await errorOf(missing), /missing CSRF token/);
    const wrong = await write({ "x-pincer-csrf": "forged" });
    assert.equal(wrong.status, 403);
    assert.match(await errorOf(wrong), /wrong CSRF token/);
    const crossOrigin = await write({ "x-pincer-csrf": csrf, origin: "https://evil.example" });
    assert.equal(crossOrigin.status, 403);
    const crossSite = await write({ "x-pincer-csrf": csrf, "sec-fetch-site": "cross-site" });
    assert.equal(crossSite.status, 403);
    const ok = await write({ "x-pincer-csrf": csrf, origin: service.url });
    assert.equal(ok.status, 200);
    // Reading needs no CSRF token; a Bearer client needs none for writing.
    assert.equal(
      (await fetch(`${service.url}/api/memory/main`, { headers: { cookie } })).status,
      200,
    );
    const bearer = await api(service, "/api/memory/main", {
      method: "PUT",
      body: JSON.stringify({ content: "# Main\n" }),
    });
    assert.equal(bearer.status, 200);
    const foreignLogin = await logIn(service.url, service.token, {
      origin: "https://evil.example",
    });
    assert.equal(foreignLogin.status, 403);
    // A forged or foreign-signed cookie is no session.
    const forged = await fetch(`${service.url}/api/status`, {
      headers: { cookie: `pincer_session=v1.abc.def.${"x".repeat(43)}` },
    });
    assert.equal(forged.status, 401);
  });

  it("sets the cookie HttpOnly and SameSite=Strict, and Secure behind an HTTPS proxy", async () => {
    const plain = (await logIn(service.url, service.token)).headers.get("set-cookie")!;
    assert.match(plain, /HttpOnly/i);
    assert.match(plain, /SameSite=Strict/i);
    assert.doesNotMatch(plain, /Secure/i);
    const proxied = await logIn(service.url, service.token, { "x-forwarded-proto": "https" });
    assert.match(proxied.headers.get("set-cookie")!, /;\s*Secure/i);
  });

  it("limits wrong tokens per client with 429 and Retry-After", async () => {
    const client = { "x-forwarded-for": "203.0.113.7" };
    for (let attempt = 0; attempt < 5; attempt++)
      assert.equal((await logIn(service.url, "guess-" + attempt, client)).status, 401);
    const limited = await logIn(service.url, service.token, client);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    assert.match(await errorOf(limited), /too many wrong admin tokens/);
    assert.equal(
      (await logIn(service.url, service.token, { "x-forwarded-for": "203.0.113.8" })).status,
      200,
    );

    const bearer = (token: string) =>
      fetch(`${service.url}/api/status`, {
        headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.9" },
      });
    for (let attempt = 0; attempt < 5; attempt++)
      assert.equal((await bearer("guess-" + attempt)).status, 401);
    assert.equal((await bearer(service.token)).status, 429);
  });

  it("sends security headers with pages and the API", async () => {
    const { cookie } = await session(service.url, service.token);
    for (const path of ["/setup", "/api/status", "/login"]) {
      const response = await fetch(`${service.url}${path}`, { headers: { cookie } });
      assert.match(response.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("x-frame-options"), "DENY");
    }
    const page = await fetch(`${service.url}/setup`, { headers: { cookie } });
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.doesNotMatch(
      await page.text(),
      /<script>|onclick=|style="/,
      "no inline script or style",
    );
  });

  it("verifies the credential with one minimal request and shows upstream errors verbatim", async () => {
    const good = (await (await api(service, "/api/setup/verify", { method: "POST" })).json()) as {
      ok: boolean;
      model: string;
    };
    assert.deepEqual([good.ok, good.model], [true, "claude-haiku-4-5"]);
    const check = fake.requests.at(-1)!;
    assert.equal(check.body.max_tokens, 1);
    assert.equal(check.headers["x-api-key"], "sk-ant-test-000000", "the proxy put in the real key");

    fake.setResponder(() => ({ error: 529 }));
    const bad = (await (await api(service, "/api/setup/verify", { method: "POST" })).json()) as {
      ok: boolean;
      error: string;
      status: number;
    };
    assert.deepEqual([bad.ok, bad.status], [false, 529]);
    assert.equal(bad.error, "529 overloaded_error: fake error 529");
    const setup = (await (await api(service, "/api/setup")).json()) as {
      credential: { present: boolean; check: { ok: boolean } };
      channels: { name: string; status: string; detail: string }[];
      mainChat: { pairingCode: string };
      isolation: { kind: string; detail: string };
    };
    assert.equal(setup.credential.present, true);
    // Root gets one Unix user per chat; anyone else is told it is directory-only.
    assert.equal(setup.isolation.kind, process.getuid?.() === 0 ? "users" : "directory");
    assert.ok(setup.isolation.detail.length > 20);
    assert.equal(setup.credential.check.ok, false);
    const slack = setup.channels.find((channel) => channel.name === "slack")!;
    assert.equal(slack.status, "not_configured");
    assert.match(slack.detail, /SLACK_BOT_TOKEN/);
    assert.match(setup.mainChat.pairingCode, /^[A-Z2-9]{8}$/);
  });

  it("streams the agent's working state over /api/events", async () => {
    fake.setResponder(() => ({ text: "hi there" }));
    const controller = new AbortController();
    const response = await fetch(`${service.url}/api/events`, {
      headers: { authorization: `Bearer ${service.token}` },
      signal: controller.signal,
    });
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.getReader();
    let seen = "";
    const read = async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the event stream ended after:\n${seen}`);
      seen += new TextDecoder().decode(value);
    };
    await read();
    assert.match(seen, /event: hello/);
    const sse = listen(service);
    await sse.ready;
    await api(service, "/api/chat/messages", {
      method: "POST",
      body: JSON.stringify({ text: "are you there?" }),
    });
    while (!/"status":"idle"/.test(seen)) await read();
    assert.match(seen, /event: status\ndata: \{"groupId":\d+,"folder":"main","status":"working"\}/);
    controller.abort();
    await waitFor(() => sse.messages().find((m) => m.text === "hi there"), "the reply");
    await sse.close();
    const activity = (await (await api(service, "/api/activity")).json()) as {
      groups: { folder: string; status: string }[];
    };
    assert.equal(activity.groups.find((g) => g.folder === "main")?.status, "idle");
  });

  it("searches a group's history", async () => {
    const found = (await (await api(service, "/api/groups/main/messages?q=there")).json()) as {
      messages: { text: string; direction: string }[];
    };
    assert.ok(found.messages.some((m) => m.text === "are you there?" && m.direction === "in"));
    assert.ok(found.messages.some((m) => m.text === "hi there" && m.direction === "out"));
    const none = (await (await api(service, "/api/groups/main/messages?q=zebra")).json()) as {
      messages: unknown[];
    };
    assert.deepEqual(none.messages, []);
  });

  it("reads and writes memory, refusing a stale version and a symbolic link", async () => {
    const before = (await (await api(service, "/api/memory/global")).json()) as {
      content: string;
      version: string;
    };
    assert.match(before.content, /Andy/);
    const saved = await api(service, "/api/memory/global", {
      method: "PUT",
      body: JSON.stringify({ content: "# Shared\nBe kind.\n", version: before.version }),
    });
    assert.equal(saved.status, 200);
    assert.equal(
      readFileSync(join(dataDir, "groups", "global", "CLAUDE.md"), "utf8"),
      "# Shared\nBe kind.\n",
    );
    const stale = await api(service, "/api/memory/global", {
      method: "PUT",
      body: JSON.stringify({ content: "lost update", version: before.version }),
    });
    assert.equal(stale.status, 409);
    assert.match(await errorOf(stale), /changed since you opened it/);

    const memory = join(dataDir, "groups", "main", "CLAUDE.md");
    mkdirSync(join(dataDir, "groups", "main"), { recursive: true });
    rmSync(memory, { force: true });
    symlinkSync(join(dataDir, "store", "pincer.db"), memory);
    const read = await api(service, "/api/memory/main");
    assert.equal(read.status, 409);
    assert.match(await errorOf(read), /symbolic link/);
    const write = await api(service, "/api/memory/main", {
      method: "PUT",
      body: JSON.stringify({ content: "x" }),
    });
    assert.equal(write.status, 409);
  });

  it("keeps the recent log lines and filters them by level", async () => {
    const info = (await (await api(service, "/api/logs?level=info")).json()) as {
      lines: { level: string; msg: string }[];
    };
    assert.ok(info.lines.some((line) => line.msg.startsWith("Pincer is up")));
    const errors = (await (await api(service, "/api/logs?level=error&limit=5")).json()) as {
      lines: { level: string }[];
    };
    assert.ok(errors.lines.every((line) => line.level === "error" || line.level === "fatal"));
  });

  it("names the problem with bad input on every endpoint", async () => {
    const bearer = { authorization: `Bearer ${service.token}` };
    const json = (method: string, body: unknown) => ({
      method,
      headers: { ...bearer, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const voice = (fields: [string, string | Blob, string?][]) => {
      const form = new FormData();
      for (const [name, value, fileName] of fields) {
        if (typeof value === "string") form.append(name, value);
        else form.append(name, value, fileName);
      }
      return { method: "POST", headers: bearer, body: form };
    };
    const audio = (bytes: number, type = "audio/webm") =>
      new Blob([new Uint8Array(bytes)], { type });
    const cases: [string, RequestInit, number, RegExp][] = [
      [
        "/api/login",
        { method: "POST", body: "token", headers: { "content-type": "text/plain" } },
        415,
        /send JSON/,
      ],
      [
        "/api/login",
        { method: "POST", body: "{", headers: { "content-type": "application/json" } },
        400,
        /not valid JSON/,
      ],
      [
        "/api/login",
        { method: "POST", body: '{"token":""}', headers: { "content-type": "application/json" } },
        400,
        /token/,
      ],
      [
        "/api/login",
        {
          method: "POST",
          body: '{"token":"x","as":"root"}',
          headers: { "content-type": "application/json" },
        },
        400,
        /unknown field\(s\): as/,
      ],
      [
        "/api/login",
        {
          method: "POST",
          body: JSON.stringify({ token: "x".repeat(5000) }),
          headers: { "content-type": "application/json" },
        },
        413,
        /too large/,
      ],
      ["/api/chat/messages", voice([["text", "no file"]]), 400, /audio: expected a file/],
      [
        "/api/chat/messages",
        voice([["audio", audio(10, "text/plain"), "a.txt"]]),
        415,
        /expected an audio file/,
      ],
      ["/api/chat/messages", voice([["audio", audio(0), "a.webm"]]), 400, /recording is empty/],
      [
        "/api/chat/messages",
        voice([
          ["audio", audio(10), "a.webm"],
          ["durationSeconds", "-3"],
        ]),
        400,
        /durationSeconds/,
      ],
      [
        "/api/chat/messages",
        voice([
          ["audio", audio(10), "a.webm"],
          ["sender", "boss"],
        ]),
        400,
        /unknown field\(s\): sender/,
      ],
      [
        "/api/chat/messages",
        voice([["audio", audio(300_000), "a.webm"]]),
        413,
        /recording too large: the limit is 200 KB/,
      ],
      [
        "/api/chat/messages",
        {
          method: "POST",
          headers: { ...bearer, "content-type": "multipart/form-data; boundary=x" },
          body: "garbage",
        },
        400,
        /not valid multipart/,
      ],
      ["/api/groups", json("POST", {}), 400, /chat/],
      [
        "/api/groups",
        json("POST", { chat: "telegram:nope" }),
        400,
        /No chat telegram:nope has been seen/,
      ],
      ["/api/groups", json("POST", "chat=x"), 400, /not valid JSON/],
      ["/api/groups/nope", json("PATCH", { trigger: "@x" }), 404, /no group with folder "nope"/],
      ["/api/groups/main", json("PATCH", { trigger: "" }), 400, /trigger/],
      ["/api/groups/main", json("PATCH", { allowedSenders: "everyone" }), 400, /allowedSenders/],
      [
        "/api/groups/main",
        { method: "DELETE", headers: bearer },
        409,
        /main group cannot be unregistered/,
      ],
      ["/api/groups/nope", { method: "DELETE", headers: bearer }, 404, /no group/],
      ["/api/groups/nope/messages", { headers: bearer }, 404, /no group/],
      ["/api/groups/main/messages?limit=0", { headers: bearer }, 400, /limit/],
      ["/api/groups/main/messages?before=yesterday", { headers: bearer }, 400, /before/],
      [
        `/api/groups/main/messages?q=${"a".repeat(501)}`,
        { headers: bearer },
        400,
        /q: at most 500/,
      ],
      ["/api/memory/nope", { headers: bearer }, 404, /no group/],
      ["/api/memory/global", json("PUT", { content: 5 }), 400, /content/],
      ["/api/memory/global", json("PUT", { text: "x" }), 400, /unknown field/],
      [
        "/api/memory/global",
        json("PUT", { content: "x".repeat(200_001) }),
        400,
        /longer than 200000/,
      ],
      [
        "/api/memory/global",
        { method: "PUT", headers: { ...bearer, "content-type": "text/markdown" }, body: "# x" },
        415,
        /send JSON/,
      ],
      ["/api/tasks/abc/pause", { method: "POST", headers: bearer }, 404, /no task abc/],
      [
        "/api/tasks/1/explode",
        { method: "POST", headers: bearer },
        404,
        /unknown action "explode"/,
      ],
      ["/api/tasks/999/runs", { headers: bearer }, 404, /no task 999/],
      ["/api/logs?level=loud", { headers: bearer }, 400, /level: expected one of/],
      ["/api/logs?limit=0", { headers: bearer }, 400, /limit/],
      ["/api/setup/whatsapp-qr.svg", { headers: bearer }, 404, /not waiting for a QR/],
      ["/api/usage?since=yesterday", { headers: bearer }, 400, /since/],
      ["/api/usage/daily?days=0", { headers: bearer }, 400, /days/],
      ["/api/budget", json("PUT", { dailyUsd: -1 }), 400, /positive/],
      ["/api/budget", json("PUT", { overall: 1 }), 400, /unknown field/],
      [
        "/api/token/rotate",
        { method: "POST", headers: bearer },
        409,
        /ADMIN_TOKEN is set in the environment/,
      ],
      ["/api/no-such-thing", { headers: bearer }, 404, /no such endpoint/],
    ];
    for (const [path, init, status, message] of cases) {
      const response = await fetch(`${service.url}${path}`, init);
      const label = `${init.method ?? "GET"} ${path.slice(0, 60)}`;
      assert.equal(response.status, status, label);
      assert.match(await errorOf(response), message, label);
    }
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200, "still serving");
  });

  it("accepts a voice recording and keeps it as the message's audio attachment", async () => {
    const form = new FormData();
    form.append("audio", new Blob([new Uint8Array(2000)], { type: "audio/ogg" }), "note.ogg");
    form.append("durationSeconds", "2.5");
    form.append("text", "listen to this");
    const response = await fetch(`${service.url}/api/chat/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${service.token}` },
      body: form,
    });
    assert.equal(response.status, 202);
    const { id } = (await response.json()) as { id: number };
    const { messages } = (await (await api(service, "/api/chat/messages?limit=5")).json()) as {
      messages: { id: number; text: string; attachments: { kind: string; fileName: string }[] }[];
    };
    const stored = messages.find((m) => m.id === id)!;
    assert.match(stored.text, /listen to this/);
    assert.deepEqual(stored.attachments, [{ kind: "audio", fileName: "note.ogg" }]);
  });
});

describe("admin token rotation", () => {
  let service: Service;
  const dataDir = tempDir();
  const tokenFile = () => readFileSync(join(dataDir, "admin-token"), "utf8").trim();

  before(async () => {
    service = await startService({ dataDir, env: { ADMIN_TOKEN: "" } });
    service.token = tokenFile();
  });
  after(async () => {
    await service?.stop();
    removeDir(dataDir);
  });

  it("says why the credential cannot be verified when none is set", async () => {
    const check = (await (await api(service, "/api/setup/verify", { method: "POST" })).json()) as {
      ok: boolean;
      error: string;
    };
    assert.equal(check.ok, false);
    assert.match(check.error, /ANTHROPIC_API_KEY is not set/);
  });

  it("keeps a generated token out of the log lines it serves", async () => {
    const { lines } = (await (await api(service, "/api/logs?level=info")).json()) as {
      lines: { msg: string }[];
    };
    const generated = lines.find((line) => line.msg.startsWith("Generated an admin token"));
    assert.ok(generated);
    assert.ok(!generated.msg.includes(service.token));
    assert.match(generated.msg, /\[redacted\]/);
  });

  it("makes a new token, saves it, and ends every other session", async () => {
    const old = service.token;
    const other = await session(service.url, old);
    const mine = await session(service.url, old);
    const rotated = await fetch(`${service.url}/api/token/rotate`, {
      method: "POST",
      headers: { cookie: mine.cookie, "x-pincer-csrf": mine.csrf },
    });
    assert.equal(rotated.status, 200);
    const { token, csrf } = (await rotated.json()) as { token: string; csrf: string };
    assert.notEqual(token, old);
    assert.equal(tokenFile(), token);
    const renewed = rotated.headers.get("set-cookie")!.split(";")[0]!;
    assert.equal(
      (await fetch(`${service.url}/api/status`, { headers: { cookie: renewed } })).status,
      200,
      "the browser that asked stays logged in",
    );
    assert.ok(csrf);
    assert.equal(
      (await fetch(`${service.url}/api/status`, { headers: { cookie: other.cookie } })).status,
      401,
    );
    assert.equal(
      (await fetch(`${service.url}/api/status`, { headers: { authorization: `Bearer ${old}` } }))
        .status,
      401,
    );
    service.token = token;
    assert.equal((await api(service, "/api/status")).status, 200);

    const viaBearer = await api(service, "/api/token/rotate", { method: "POST" });
    const second = (await viaBearer.json()) as { token: string; csrf?: string };
    assert.equal(second.csrf, undefined, "a Bearer client gets no cookie session");
    assert.equal(tokenFile(), second.token);
  });
});
