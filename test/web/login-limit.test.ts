// The limit on wrong admin tokens: per client, and tighter while many clients fail; and
// which client a request counts for.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import { clientAddress, LoginLimiter } from "../../src/web/login-limit.ts";

describe("login limiter", () => {
  it("blocks a client after its failures until the oldest leaves the window", () => {
    const limiter = new LoginLimiter({ perClient: 3, overall: 100, windowMs: 60_000 });
    for (const at of [0, 10_000, 20_000]) {
      assert.equal(limiter.retryAfter("a", at), 0);
      limiter.failed("a", at);
    }
    assert.equal(limiter.retryAfter("a", 30_000), 30);
    assert.equal(limiter.retryAfter("b", 30_000), 0, "another client is not blocked");
    assert.equal(limiter.retryAfter("a", 60_001), 0);
  });

  it("forgets a client's failures when it logs in", () => {
    const limiter = new LoginLimiter({ perClient: 2, overall: 100, windowMs: 60_000 });
    limiter.failed("a", 0);
    limiter.failed("a", 1);
    assert.ok(limiter.retryAfter("a", 2) > 0);
    limiter.succeeded("a");
    assert.equal(limiter.retryAfter("a", 2), 0);
  });

  it("never blocks a client without failures, however many others fail", () => {
    const limiter = new LoginLimiter({ perClient: 5, overall: 4, windowMs: 60_000 });
    for (let i = 0; i < 40; i++) limiter.failed(`attacker-${i}`, i * 1000);
    assert.equal(limiter.retryAfter("owner", 40_000), 0);
    // One request every 2 s keeps the pressure up; the owner is still let through.
    for (let at = 40_000; at < 300_000; at += 2_000) {
      limiter.failed(`attacker-${at}`, at);
      assert.equal(limiter.retryAfter("owner", at + 1), 0, `at ${at}`);
    }
  });

  it("allows each failing client a single failure while many clients fail", () => {
    const limiter = new LoginLimiter({ perClient: 5, overall: 4, windowMs: 60_000 });
    for (let i = 0; i < 4; i++) limiter.failed(`forged-${i}`, i * 1000);
    assert.equal(limiter.retryAfter("forged-0", 5_000), 55);
    limiter.failed("fresh", 5_000);
    assert.equal(limiter.retryAfter("fresh", 5_001), 60);
    assert.equal(limiter.retryAfter("fresh", 65_001), 0);
  });
});

type Peer = { incoming: { socket: { remoteAddress: string } } };

/** The client a request from `peer` with these headers counts as. */
async function clientOf(
  trustedProxies: number,
  peer: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const app = new Hono<{ Bindings: Peer }>();
  app.get("/", (c) => c.text(clientAddress(c, trustedProxies)));
  const env: Peer = { incoming: { socket: { remoteAddress: peer } } };
  return (await app.request("/", { headers }, env)).text();
}

describe("client address", () => {
  it("is the peer when no proxy is trusted, whatever the headers say", async () => {
    const forged = {
      "x-forwarded-for": "198.51.100.1",
      "x-real-ip": "198.51.100.2",
      forwarded: "for=198.51.100.3",
    };
    assert.equal(await clientOf(0, "203.0.113.5", forged), "203.0.113.5");
  });

  it("is the address the trusted proxies received the request from", async () => {
    const header = { "x-forwarded-for": "198.51.100.1, 203.0.113.9, 10.0.0.2" };
    assert.equal(await clientOf(1, "10.0.0.3", header), "10.0.0.2");
    assert.equal(await clientOf(2, "10.0.0.3", header), "203.0.113.9");
    // More trusted hops than the header has: the leftmost entry, never beyond.
    assert.equal(await clientOf(9, "10.0.0.3", header), "198.51.100.1");
    assert.equal(await clientOf(1, "10.0.0.3"), "10.0.0.3");
  });

  it("counts an IPv6 /64 as one client (one host has them all)", async () => {
    assert.equal(await clientOf(0, "2001:db8:1:2::1"), "2001:db8:1:2::/64");
    assert.equal(await clientOf(0, "2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    assert.equal(await clientOf(0, "2001:db8::5"), "2001:db8:0:0::/64");
    assert.equal(await clientOf(0, "::ffff:192.0.2.7"), "192.0.2.7");
    assert.equal(await clientOf(0, "::1"), "0:0:0:0::/64");
  });
});
