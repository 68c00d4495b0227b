import { test } from "node:test";
import assert from "node:assert/strict";
import { clockDuration, formatDuration, parseDuration } from "../../src/time/duration.ts";

test("parseDuration reads units, compounds and words", () => {
  const cases: [string, number][] = [
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1w", 604_800_000],
    ["1.5s", 1_500],
    ["0.5h", 1_800_000],
    [" 2H ", 7_200_000],
    ["10 m", 600_000],
    ["1h30m", 5_400_000],
    ["1 day", 86_400_000],
    ["3 weeks", 3 * 604_800_000],
    ["2 hours and 15 minutes", 8_100_000],
    ["1 hr, 5 mins, 10 secs", 3_910_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test("parseDuration refuses what is not a duration", () => {
  for (const text of [
    "",
    "soon",
    "45000",
    "5 fortnights",
    "-5s",
    "1e3",
    "1h30",
    "s",
    "5 minutes ago",
    "in 5m",
    `${"1s".repeat(60)}`,
  ]) {
    assert.equal(parseDuration(text), undefined, text);
  }
});

test("formatDuration writes whole units, largest first", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(90_000), "1m 30s");
  assert.equal(formatDuration(86_400_000 + 3_600_000 + 1_000), "1d 1h 1s");
  assert.equal(formatDuration(1_499), "1s");
});

test("formatDuration output parses back to the same duration", () => {
  for (const ms of [1_000, 61_000, 5_400_000, 90_061_000, 7 * 86_400_000]) {
    assert.equal(parseDuration(formatDuration(ms)), ms, String(ms));
  }
});

test("durations read as a clock", () => {
  assert.deepEqual([0, 7.4, 42, 600, 3725].map(clockDuration), [
    "0:00",
    "0:07",
    "0:42",
    "10:00",
    "1:02:05",
  ]);
});
