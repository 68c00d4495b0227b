// A hostile web client against the real service: locking the owner out with wrong tokens
// from many (forged or real) addresses, guessing from one, and reusing a logged-out cookie.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { removeDir, startService, tempDir, type Service } from "./harness.ts";

function logIn(service: Service, token: string, headers: Record<string, string> = {}) {
  return fetch(`${service.url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ token }),
  });
}

function status(service: Service, headers: Record<string, string>) {
  return fetch(`${service.url}/api/status`, { headers });
}

describe("hostile web client", () => {
  // Behind a proxy that Pincer trusts (TRUST_PROXY=1): the test plays that proxy, so the
  // last X-Forwarded-For entry is the client's real address.
  let proxied: Service;
  // Reached directly: X-Forwarded-For is whatever the client wrote.
  let direct: Service;
  const proxiedDir = tempDir();
  const directDir = tempDir();

  before(async () => {
    [proxied, direct] = await Promise.all([
      startService({ dataDir: proxiedDir, env: { TRUST_PROXY: "1" } }),
      startService({ dataDir: directDir }),
    ]);
  });
  after(async () => {
    await Promise.all([proxied?.stop(), direct?.stop()]);
    removeDir(proxiedDir);
    removeDir(directDir);
  });

  it("cannot lock the owner out with wrong tokens from many addresses", async () => {
    const attack = async (from: number) => {
      const forwarded = { "x-forwarded-for": `198.51.100.${from}` };
      await (await logIn(proxied, `guess-${from}`, forwarded)).text();
      await (await status(proxied, { authorization: `Bearer guess-${from}`, ...forwarded })).text();
    };
    for (let from = 0; from < 31; from++) await attack(from);
    const owner = { "x-forwarded-for": "192.0.2.10" };
    for (let from = 31; from < 40; from++) {
      // The attacker keeps the failures coming; the owner's token still works every time.
      await attack(from);
      const login = await logIn(proxied, proxied.token, owner);
      assert.equal(login.status, 200, await login.text());
      const bearer = await status(proxied, { authorization: `Bearer ${proxied.token}`, ...owner });
      assert.equal(bearer.status, 200, await bearer.text());
    }
  });

  it("gives one address at most 5 guesses a minute", async () => {
    const guesser = { "x-forwarded-for": "203.0.113.50" };
    const answers: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await logIn(proxied, `guess-${attempt}`, guesser);
      answers.push(response.status);
      if (response.status === 429) assert.ok(Number(response.headers.get("retry-after")) > 0);
    }
    assert.ok(answers.filter((code) => code === 401).length <= 5, answers.join(" "));
    assert.equal(answers.at(-1), 429);
  });

  it("does not let a forged X-Forwarded-For pick a fresh limit", async () => {
    const answers: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      const forged = { "x-forwarded-for": `198.51.100.${attempt}` };
      answers.push((await logIn(direct, `guess-${attempt}`, forged)).status);
    }
    assert.deepEqual(answers, [401, 401, 401, 401, 401, 429, 429]);
  });

  it("ends a logged-out session for good, also after a restart", async () => {
    const owner = { "x-forwarded-for": "192.0.2.11" };
    const login = await logIn(proxied, proxied.token, owner);
    assert.equal(login.status, 200);
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const other = (await logIn(proxied, proxied.token, owner)).headers.get("set-cookie")!;
    const otherCookie = other.split(";")[0]!;
    assert.equal((await status(proxied, { cookie })).status, 200);

    const logout = await fetch(`${proxied.url}/api/logout`, {
      method: "POST",
      headers: { cookie, "x-pincer-csrf": csrf },
    });
    assert.equal(logout.status, 200);
    // The copied cookie no longer works, on the API or the pages; other sessions do.
    assert.equal((await status(proxied, { cookie })).status, 401);
    const page = await fetch(`${proxied.url}/`, { headers: { cookie }, redirect: "manual" });
    assert.equal(page.status, 303);
    assert.equal((await status(proxied, { cookie: otherCookie })).status, 200);

    await proxied.stop();
    proxied = await startService({ dataDir: proxiedDir, env: { TRUST_PROXY: "1" } });
    assert.equal((await status(proxied, { cookie })).status, 401);
    assert.equal((await status(proxied, { cookie: otherCookie })).status, 200);
  });
});
