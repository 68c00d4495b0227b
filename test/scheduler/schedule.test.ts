import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ScheduleError,
  nextRunAfter,
  planSchedule,
  validatePrompt,
  type ScheduleSpec,
} from "../../src/scheduler/schedule.ts";
import type { TaskSchedule } from "../../src/store/tasks.ts";
import { formatDuration, parseDuration } from "../../src/time/duration.ts";

const HOUR = 3_600_000;

/** The next `count` slots, each computed from the one before, as the scheduler walks them. */
function walk(schedule: TaskSchedule, from: number, count: number): string[] {
  const slots: string[] = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    const next = nextRunAfter(schedule, from, at);
    assert.ok(next !== null);
    slots.push(new Date(next).toISOString());
    at = next;
  }
  return slots;
}

function london(expr: string): TaskSchedule {
  return { kind: "cron", expr, timezone: "Europe/London" };
}

test("daily 01:30 in London across spring forward runs after the gap, then on BST", () => {
  assert.deepEqual(walk(london("30 1 * * *"), Date.parse("2026-03-27T12:00:00Z"), 4), [
    "2026-03-28T01:30:00.000Z",
    // 01:30 does not exist on 29 March; the run moves to 02:00 BST, just after the gap.
    "2026-03-29T01:00:00.000Z",
    "2026-03-30T00:30:00.000Z",
    "2026-03-31T00:30:00.000Z",
  ]);
});

test("daily 01:30 in London across fall back runs once, at the first 01:30", () => {
  assert.deepEqual(walk(london("30 1 * * *"), Date.parse("2026-10-23T12:00:00Z"), 4), [
    "2026-10-24T00:30:00.000Z",
    "2026-10-25T00:30:00.000Z",
    "2026-10-26T01:30:00.000Z",
    "2026-10-27T01:30:00.000Z",
  ]);
});

test("daily 09:00 in London stays at 09:00 local across both changes", () => {
  assert.deepEqual(walk(london("0 9 * * *"), Date.parse("2026-03-28T00:00:00Z"), 3), [
    "2026-03-28T09:00:00.000Z",
    "2026-03-29T08:00:00.000Z",
    "2026-03-30T08:00:00.000Z",
  ]);
  assert.deepEqual(walk(london("0 9 * * *"), Date.parse("2026-10-24T00:00:00Z"), 3), [
    "2026-10-24T08:00:00.000Z",
    "2026-10-25T09:00:00.000Z",
    "2026-10-26T09:00:00.000Z",
  ]);
});

test("cron is read in the task timezone, defaulting to the configured one", () => {
  const now = Date.parse("2026-06-01T00:00:00Z");
  const byDefault = planSchedule(
    { kind: "cron", expr: "0 9 * * *" },
    { now, defaultTimezone: "America/New_York" },
  );
  assert.equal(byDefault.schedule.timezone, "America/New_York");
  assert.equal(new Date(byDefault.nextRunAt).toISOString(), "2026-06-01T13:00:00.000Z");
  const explicit = planSchedule(
    { kind: "cron", expr: "0  9 * * *", timezone: "asia/tokyo" },
    { now, defaultTimezone: "America/New_York" },
  );
  assert.deepEqual(explicit.schedule, { kind: "cron", expr: "0 9 * * *", timezone: "Asia/Tokyo" });
  // 09:00 in Tokyo on 1 June is midnight UTC; `now` is that exact instant, so it is the 2nd.
  assert.equal(new Date(explicit.nextRunAt).toISOString(), "2026-06-02T00:00:00.000Z");
});

test("interval slots stay on the anchor grid however late a run was", () => {
  const anchor = Date.parse("2026-01-01T00:00:00Z");
  const schedule: TaskSchedule = { kind: "interval", expr: "2h", timezone: "UTC" };
  assert.equal(nextRunAfter(schedule, anchor, anchor), anchor + 2 * HOUR);
  // The 02:00 run was 37 minutes late; the next slot is still 04:00, not 04:37.
  assert.equal(nextRunAfter(schedule, anchor, anchor + 2 * HOUR + 37 * 60_000), anchor + 4 * HOUR);
  // Exactly on a slot means that slot has been taken: the next is the following one.
  assert.equal(nextRunAfter(schedule, anchor, anchor + 4 * HOUR), anchor + 6 * HOUR);
  // After a long outage the next slot is the first one in the future.
  assert.equal(nextRunAfter(schedule, anchor, anchor + 101 * HOUR), anchor + 102 * HOUR);
});

test("interval and once plans", () => {
  const now = Date.parse("2026-03-20T12:00:00Z");
  const context = { now, defaultTimezone: "Europe/London" };
  const interval = planSchedule({ kind: "interval", every: "every 90 minutes" }, context);
  assert.deepEqual(interval.schedule, {
    kind: "interval",
    expr: "1h 30m",
    timezone: "Europe/London",
  });
  assert.equal(interval.anchorAt, now);
  assert.equal(interval.nextRunAt, now + 1.5 * HOUR);

  const cases: [string, string][] = [
    ["20m", "2026-03-20T12:20:00.000Z"],
    ["in 2 hours", "2026-03-20T14:00:00.000Z"],
    // Summer time in London: a local 09:00 is 08:00 UTC.
    ["2026-07-21T09:00", "2026-07-21T08:00:00.000Z"],
    ["2026-07-21 09:00:30", "2026-07-21T08:00:30.000Z"],
    ["2026-07-21T09:00:00Z", "2026-07-21T09:00:00.000Z"],
    ["2026-07-21T09:00:00.250Z", "2026-07-21T09:00:00.250Z"],
    ["2026-07-21T09:00:00+0200", "2026-07-21T07:00:00.000Z"],
    ["2026-07-21T09:00-05:00", "2026-07-21T14:00:00.000Z"],
  ];
  for (const [at, expected] of cases) {
    const plan = planSchedule({ kind: "once", at }, context);
    assert.equal(new Date(plan.nextRunAt).toISOString(), expected, at);
    assert.equal(plan.schedule.expr, expected, at);
    assert.equal(nextRunAfter(plan.schedule, plan.anchorAt, plan.nextRunAt), null);
  }
});

test("durations", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1h30m"), 1.5 * HOUR);
  assert.equal(parseDuration("2 hours and 15 minutes"), 2.25 * HOUR);
  assert.equal(parseDuration("1d, 2h"), 26 * HOUR);
  assert.equal(parseDuration("1.5h"), 1.5 * HOUR);
  assert.equal(parseDuration("5"), undefined);
  assert.equal(parseDuration("2 fortnights"), undefined);
  assert.equal(formatDuration(26 * HOUR + 90_000), "1d 2h 1m 30s");
});

function rejects(spec: ScheduleSpec, pattern: RegExp): void {
  assert.throws(
    () => planSchedule(spec, { now: Date.parse("2026-03-20T12:00:00Z"), defaultTimezone: "UTC" }),
    (error: unknown) => error instanceof ScheduleError && pattern.test(error.message),
  );
}

test("bad schedules are refused with a message that names the problem", () => {
  rejects(
    { kind: "cron", expr: "61 9 * * *" },
    /Invalid cron expression "61 9 \* \* \*": .*minute: 61/,
  );
  rejects({ kind: "cron", expr: "0 25 * * *" }, /hour: 25/);
  rejects({ kind: "cron", expr: "every morning" }, /Invalid cron expression .*five fields/);
  rejects({ kind: "cron", expr: "*/10 * * * * *" }, /needs exactly 5 parts/);
  rejects({ kind: "cron", expr: "" }, /cron expression is empty/);
  rejects({ kind: "cron", expr: "0 9 30 2 *" }, /never matches a future date/);
  rejects({ kind: "interval", every: "30s" }, /"30s" is shorter than the minimum of 1 minute/);
  rejects({ kind: "interval", every: "soon" }, /Invalid interval "soon"/);
  rejects({ kind: "once", at: "2026-03-20T11:59:00Z" }, /is in the past; it is now/);
  rejects({ kind: "once", at: "2026-02-30T09:00" }, /Invalid time "2026-02-30T09:00"/);
  rejects({ kind: "once", at: "next tuesday" }, /Invalid time/);
  rejects({ kind: "once", at: "0m" }, /must be longer than zero/);
  rejects(
    { kind: "cron", expr: "0 9 * * *", timezone: "Mars/Olympus" },
    /Unknown timezone "Mars\/Olympus"/,
  );
  rejects({ kind: "cron", expr: "0 9 * * *", timezone: "+05:00" }, /Unknown timezone/);
});

test("prompts must be non-empty and at most 10,000 characters", () => {
  assert.equal(validatePrompt("send me a summary"), "send me a summary");
  assert.equal(validatePrompt("x".repeat(10_000)).length, 10_000);
  assert.throws(() => validatePrompt("  \n "), /prompt is empty/);
  assert.throws(
    () => validatePrompt("x".repeat(100 * 1024)),
    /102,400 characters long; the limit is 10,000/,
  );
});
