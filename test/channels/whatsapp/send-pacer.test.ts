// The outbound pacer, on a fake clock: which waits it asks for.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SendPacer } from "../../../src/channels/whatsapp/send-pacer.ts";

/** A pacer on a fake clock; sleeping moves the clock on unless the sleepers overlap. */
function pacer(minGapMs: number, jitterMs: number, random: () => number, overlap = false) {
  let now = 1_000_000;
  const waits: number[] = [];
  const instance = new SendPacer({
    minGapMs,
    jitterMs,
    random,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      if (!overlap) now += ms;
    },
  });
  return { instance, waits, advance: (ms: number) => (now += ms) };
}

describe("SendPacer", () => {
  it("lets the first send go at once and spaces the next ones by the gap", async () => {
    const { instance, waits } = pacer(1000, 0, () => 0.5);
    await instance.wait();
    await instance.wait();
    await instance.wait();
    assert.deepEqual(waits, [1000, 1000]);
  });

  it("varies the gap within ± jitter", async () => {
    const low = pacer(1000, 300, () => 0);
    await low.instance.wait();
    await low.instance.wait();
    const high = pacer(1000, 300, () => 1);
    await high.instance.wait();
    await high.instance.wait();
    assert.deepEqual([low.waits, high.waits], [[700], [1300]]);
  });

  it("does not wait when the gap has already passed", async () => {
    const { instance, waits, advance } = pacer(1000, 0, () => 0.5);
    await instance.wait();
    advance(5000);
    await instance.wait();
    assert.deepEqual(waits, []);
  });

  it("gives concurrent callers consecutive slots", async () => {
    const { instance, waits } = pacer(1000, 0, () => 0.5, true);
    await Promise.all([instance.wait(), instance.wait(), instance.wait()]);
    assert.deepEqual(waits, [1000, 2000]);
  });

  it("never waits with a zero gap", async () => {
    const { instance, waits } = pacer(0, 0, () => 0.5);
    await Promise.all([instance.wait(), instance.wait()]);
    assert.deepEqual(waits, []);
  });
});
