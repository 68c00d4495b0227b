// The main-chat pairing code: single use, valid for a limited time, and a chat that keeps
// sending wrong codes gets no more tries at this code. The clock is the test's.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PAIRING_CODE_LIFETIME_MS, PairingCode } from "../../src/core/pairing.ts";

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("pairing code", () => {
  it("works once, then a new code is in force", () => {
    const time = clock();
    const pairing = new PairingCode({ now: time.now });
    const first = pairing.code;
    assert.match(first, /^[A-Z2-9]{8}$/);
    assert.equal(pairing.accept(`/pair ${first.toLowerCase()}`, "telegram:1"), true);
    assert.notEqual(pairing.code, first);
    assert.equal(pairing.accept(`/pair ${first}`, "telegram:1"), false);
  });

  it("expires after ten minutes and is replaced by a new one", () => {
    const time = clock();
    const pairing = new PairingCode({ now: time.now });
    const first = pairing.code;
    assert.equal(pairing.expiresAt, time.now() + PAIRING_CODE_LIFETIME_MS);
    assert.equal(PAIRING_CODE_LIFETIME_MS, 10 * 60_000);
    time.advance(PAIRING_CODE_LIFETIME_MS - 1);
    assert.equal(pairing.code, first, "still valid just before it expires");
    time.advance(1);
    assert.equal(pairing.accept(`/pair ${first}`, "telegram:1"), false, "expired");
    const second = pairing.code;
    assert.notEqual(second, first);
    assert.equal(pairing.expiresAt, time.now() + PAIRING_CODE_LIFETIME_MS);
    assert.equal(pairing.accept(`/pair ${second}`, "telegram:1"), true);
  });

  it("gives a chat five wrong tries per code; other chats keep theirs", () => {
    const time = clock();
    const pairing = new PairingCode({ now: time.now });
    for (let i = 0; i < 5; i++) assert.equal(pairing.accept("/pair WRONGCODE", "slack:U1"), false);
    const code = pairing.code;
    assert.equal(pairing.accept(`/pair ${code}`, "slack:U1"), false, "out of tries");
    assert.equal(pairing.code, code, "a guesser cannot change the owner's code");
    assert.equal(pairing.accept(`/pair ${code}`, "slack:U2"), true);
  });

  it("gives the tries back with the next code", () => {
    const time = clock();
    const pairing = new PairingCode({ now: time.now });
    for (let i = 0; i < 5; i++) pairing.accept("/pair WRONGCODE", "discord:9");
    time.advance(PAIRING_CODE_LIFETIME_MS);
    assert.equal(pairing.accept(`/pair ${pairing.code}`, "discord:9"), true);
  });

  it("does not count messages that are not a pairing attempt", () => {
    const pairing = new PairingCode({ now: clock().now });
    for (let i = 0; i < 10; i++) assert.equal(pairing.accept("hello there", "telegram:5"), false);
    assert.equal(pairing.accept(`/pair ${pairing.code}`, "telegram:5"), true);
  });
});
