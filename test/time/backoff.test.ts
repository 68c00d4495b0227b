import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffMs } from "../../src/time/backoff.ts";

test("backoff starts at the base, doubles each retry and stops at the ceiling", () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, 1000, 5000)),
    [1000, 2000, 4000, 5000, 5000],
  );
});

test("an attempt below 1 waits like the first; without a ceiling it keeps doubling", () => {
  assert.equal(backoffMs(0, 500), 500);
  assert.equal(backoffMs(-3, 500, 100), 100);
  assert.equal(backoffMs(11, 500), 512_000);
});
