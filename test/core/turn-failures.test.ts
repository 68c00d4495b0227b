import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_CONSECUTIVE_FAILURES, TurnFailures } from "../../src/core/turn-failures.ts";

test("a model error marks the turn failed until it ends; a still-busy session keeps the mark", () => {
  const failures = new TurnFailures();
  assert.equal(failures.turnEnded(1, false), false);
  failures.modelError(1);
  assert.equal(failures.turnEnded(1, true), true);
  assert.equal(failures.turnEnded(1, false), true);
  assert.equal(failures.turnEnded(1, false), false);
});

test("process failures in a row grow the retry wait and give up at the limit", () => {
  const failures = new TurnFailures();
  const seen: boolean[] = [];
  for (let i = 1; i <= MAX_CONSECUTIVE_FAILURES; i++) {
    const { failures: count, giveUp } = failures.processFailed(7, `boom ${i}`);
    assert.equal(count, i);
    seen.push(giveUp);
    if (!giveUp) assert.equal(failures.retryDelay(7), 1_000 * i);
  }
  assert.deepEqual(seen, [false, false, true]);
  // Given up: the run starts over, and the next session starts at once.
  assert.equal(failures.retryDelay(7), 0);
  assert.equal(failures.last(), `boom ${MAX_CONSECUTIVE_FAILURES}`);
});

test("a turn that ends ends its group's run and clears the last failure", () => {
  const failures = new TurnFailures();
  failures.processFailed(1, "boom");
  failures.processFailed(2, "bang");
  failures.turnEnded(1, false);
  assert.equal(failures.retryDelay(1), 0);
  assert.equal(failures.retryDelay(2), 1_000);
  assert.equal(failures.last(), undefined);
});
