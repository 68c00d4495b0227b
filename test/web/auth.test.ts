// Who gets in, at the HTTP level: the limit on wrong tokens by client address, and logout
// ending the session on the server, not only in the browser.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { AdminToken } from "../../src/web/admin-token.ts";
import { apiGuard, loginRoutes, sessionRoutes } from "../../src/web/auth.ts";
import { LoginLimiter } from "../../src/web/login-limit.ts";
import { openTempStore } from "../helpers/store.ts";

const TOKEN = "the-right-admin-token-0123456789";

type Peer = { incoming: { socket: { remoteAddress: string } } };

function setUp(trustProxy = 0) {
  const store = openTempStore();
  const token = new AdminToken(TOKEN, { dataDir: store.dir, fromEnvironment: true });
  const auth = { token, db: store.db, limiter: new LoginLimiter(), trustProxy };
  const app = new Hono<{ Bindings: Peer }>();
  app.route("/", loginRoutes(auth));
  app.use("/api/*", apiGuard(auth));
  app.route("/", sessionRoutes(auth));
  app.get("/api/status", (c) => c.json({ ok: true }));
  const send = (path: string, init: RequestInit, from: string) =>
    app.request(path, init, { incoming: { socket: { remoteAddress: from } } });
  return {
    store,
    logIn: (token: string, from: string, headers: Record<string, string> = {}) =>
      send(
        "/api/login",
        {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ token }),
        },
        from,
      ),
    get: (headers: Record<string, string>, from: string) => send("/api/status", { headers }, from),
    logOut: (cookie: string, csrf: string, from: string) =>
      send("/api/logout", { method: "POST", headers: { cookie, "x-pincer-csrf": csrf } }, from),
  };
}

const stores: { close(): void }[] = [];
after(() => stores.forEach((store) => store.close()));

describe("admin auth", () => {
  it("lets the owner in while wrong tokens pour in from many addresses", async () => {
    const { store, logIn, get } = setUp();
    stores.push(store);
    const attack = async (from: number) => {
      const address = `198.51.100.${from}`;
      assert.notEqual((await logIn(`guess-${from}`, address)).status, 200);
      assert.notEqual((await get({ authorization: `Bearer guess-${from}` }, address)).status, 200);
    };
    for (let from = 0; from < 100; from++) {
      await attack(from);
      if (from < 31) continue;
      assert.equal((await logIn(TOKEN, "203.0.113.1")).status, 200, `after ${from + 1}`);
      assert.equal((await get({ authorization: `Bearer ${TOKEN}` }, "203.0.113.1")).status, 200);
    }
  });

  it("takes a pasted token with spaces or a line break around it, without counting it as wrong", async () => {
    const { store, logIn } = setUp();
    stores.push(store);
    for (let i = 0; i < 10; i++)
      assert.equal((await logIn(`  ${TOKEN}\n`, "203.0.113.9")).status, 200, `login ${i + 1}`);
    const blank = await logIn("   ", "203.0.113.9");
    assert.equal(blank.status, 400);
  });

  it("limits one address to 5 wrong tokens, whatever X-Forwarded-For it sends", async () => {
    const { store, logIn, get } = setUp();
    stores.push(store);
    const answers: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      const forged = { "x-forwarded-for": `192.0.2.${attempt}` };
      answers.push((await logIn(`guess-${attempt}`, "203.0.113.66", forged)).status);
    }
    assert.deepEqual(answers, [401, 401, 401, 401, 401, 429, 429]);
    // Checking the token of a blocked client would answer every guess: it is refused unread.
    assert.equal((await logIn(TOKEN, "203.0.113.66")).status, 429);
    assert.equal((await get({ authorization: `Bearer ${TOKEN}` }, "203.0.113.66")).status, 429);
    assert.equal((await logIn(TOKEN, "203.0.113.67")).status, 200);
  });

  it("counts the address a trusted proxy appended, not the proxy's own", async () => {
    const { store, logIn } = setUp(1);
    stores.push(store);
    for (let attempt = 0; attempt < 6; attempt++) {
      const via = { "x-forwarded-for": `forged, 198.51.100.9` };
      await logIn(`guess-${attempt}`, "10.0.0.1", via);
    }
    const blocked = await logIn(TOKEN, "10.0.0.1", { "x-forwarded-for": "198.51.100.9" });
    assert.equal(blocked.status, 429);
    const owner = await logIn(TOKEN, "10.0.0.1", { "x-forwarded-for": "198.51.100.10" });
    assert.equal(owner.status, 200);
  });

  it("ends a logged-out session for every copy of its cookie", async () => {
    const { store, logIn, get, logOut } = setUp();
    stores.push(store);
    const session = async () => {
      const response = await logIn(TOKEN, "203.0.113.1");
      const { csrf } = (await response.json()) as { csrf: string };
      return { cookie: response.headers.get("set-cookie")!.split(";")[0]!, csrf };
    };
    const mine = await session();
    const other = await session();
    assert.equal((await get({ cookie: mine.cookie }, "203.0.113.1")).status, 200);
    assert.equal((await logOut(mine.cookie, mine.csrf, "203.0.113.1")).status, 200);
    assert.equal((await get({ cookie: mine.cookie }, "198.51.100.1")).status, 401);
    assert.equal((await get({ cookie: other.cookie }, "203.0.113.1")).status, 200);
  });
});
