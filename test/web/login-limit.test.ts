// The limit on wrong admin tokens: per client, and for everyone together.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LoginLimiter } from "../../src/web/login-limit.ts";

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

  it("blocks everyone once all clients together fail too often", () => {
    const limiter = new LoginLimiter({ perClient: 5, overall: 4, windowMs: 60_000 });
    for (let i = 0; i < 4; i++) limiter.failed(`forged-${i}`, i * 1000);
    assert.equal(limiter.retryAfter("fresh", 5_000), 55);
    assert.equal(limiter.retryAfter("fresh", 60_001), 0);
  });
});
