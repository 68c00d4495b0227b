import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sleep } from "../../src/time/sleep.ts";

describe("sleep", () => {
  it("wakes early, without rejecting, when its signal aborts", async () => {
    const abort = new AbortController();
    const waiting = sleep(60_000, abort.signal);
    abort.abort();
    assert.equal(await waiting, undefined);
    assert.equal(await sleep(60_000, abort.signal), undefined, "an aborted signal does not wait");
  });
});
