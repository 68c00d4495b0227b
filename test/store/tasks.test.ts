import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { planSchedule, type ScheduleSpec } from "../../src/scheduler/schedule.ts";
import { claimDueRun, resumeTask } from "../../src/scheduler/slots.ts";
import {
  cancelTask,
  createTask,
  finishRun,
  getTask,
  listRuns,
  listTasks,
  nextDueAt,
  pauseTask,
  recoverInterruptedRuns,
  updateTask,
  type Task,
} from "../../src/store/tasks.ts";
import { countRows, openTestStore, type TestStore } from "../scheduler/helpers.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T = Date.parse("2026-04-01T08:00:00Z");

function add(store: TestStore, spec: ScheduleSpec, now = T, groupId = store.mainGroup): Task {
  const plan = planSchedule(spec, { now, defaultTimezone: "Europe/London" });
  return createTask(
    store.db,
    { groupId, prompt: "do the thing", contextMode: "group", script: null, plan },
    now,
  );
}

test("many missed interval slots give exactly one run, then the next future slot", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const task = add(store, { kind: "interval", every: "1h" });
  assert.equal(task.nextRunAt, T + HOUR);

  const now = T + 10 * HOUR + 5 * MINUTE;
  const claim = claimDueRun(store.db, now);
  assert.equal(claim?.kind, "run");
  assert.equal(claim.run.scheduledFor, T + HOUR);
  assert.equal(claim.run.status, "running");
  assert.equal(claim.task.nextRunAt, T + 11 * HOUR);
  assert.equal(claim.task.lastRunAt, now);
  assert.equal(claimDueRun(store.db, now), undefined);
  assert.ok(finishRun(store.db, claim.run.id, { status: "succeeded", result: "sent" }, now + 1));
  assert.equal(claimDueRun(store.db, now + 30 * MINUTE), undefined);

  const next = claimDueRun(store.db, T + 11 * HOUR);
  assert.equal(next?.run.scheduledFor, T + 11 * HOUR);
  assert.equal(countRows(store.db, "task_runs"), 2);
});

test("a daily cron task missed for days runs once and resumes on the next 09:00", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  add(store, { kind: "cron", expr: "0 9 * * *" });
  const now = Date.parse("2026-04-06T12:00:00Z");
  const claim = claimDueRun(store.db, now);
  // Created at 09:00 London time on the 1st, so the first slot was the 2nd.
  assert.equal(new Date(claim?.run.scheduledFor ?? 0).toISOString(), "2026-04-02T08:00:00.000Z");
  assert.equal(new Date(claim?.task.nextRunAt ?? 0).toISOString(), "2026-04-07T08:00:00.000Z");
  assert.equal(claimDueRun(store.db, now), undefined);
});

test("a once task runs late within the grace and is missed beyond it", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const within = add(store, { kind: "once", at: "1h" });
  const beyond = add(store, { kind: "once", at: "2h" });
  const generous = add(store, { kind: "once", at: "3h" });

  const first = claimDueRun(store.db, T + HOUR + 9 * MINUTE);
  assert.equal(first?.kind, "run");
  assert.equal(first.task.id, within.id);
  assert.equal(first.task.status, "completed");
  assert.equal(first.task.nextRunAt, null);

  const second = claimDueRun(store.db, T + 2 * HOUR + 11 * MINUTE);
  assert.equal(second?.kind, "missed");
  assert.equal(second.task.id, beyond.id);
  assert.equal(second.task.status, "missed");
  assert.equal(second.run.status, "missed");
  assert.match(second.run.error ?? "", /due 11m earlier, past the 10m grace/);
  assert.equal(getTask(store.db, beyond.id)?.nextRunAt, null);

  const third = claimDueRun(store.db, T + 3 * HOUR + 30 * MINUTE, HOUR);
  assert.equal(third?.kind, "run");
  assert.equal(third.task.id, generous.id);
});

test("a failed run is recorded and the series goes on", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const task = add(store, { kind: "interval", every: "30m" });
  const claim = claimDueRun(store.db, T + 30 * MINUTE);
  assert.ok(claim);
  finishRun(store.db, claim.run.id, { status: "failed", error: "boom" }, T + 31 * MINUTE);
  assert.equal(finishRun(store.db, claim.run.id, { status: "succeeded" }), false);
  const after = getTask(store.db, task.id);
  assert.equal(after?.status, "active");
  assert.equal(after?.lastResult, "failed: boom");
  const [run] = listRuns(store.db, task.id);
  assert.deepEqual([run?.status, run?.error, run?.endedAt], ["failed", "boom", T + 31 * MINUTE]);
  assert.equal(claimDueRun(store.db, T + 60 * MINUTE)?.run.scheduledFor, T + 60 * MINUTE);
});

test("runs of one task never overlap: a due slot waits for the running run", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  add(store, { kind: "interval", every: "1m" });
  const claim = claimDueRun(store.db, T + MINUTE);
  assert.ok(claim);
  assert.equal(nextDueAt(store.db), undefined);
  assert.equal(claimDueRun(store.db, T + 5 * MINUTE), undefined);
  finishRun(store.db, claim.run.id, { status: "succeeded" }, T + 5 * MINUTE);
  assert.equal(nextDueAt(store.db), T + 2 * MINUTE);
  const next = claimDueRun(store.db, T + 5 * MINUTE + 1);
  assert.equal(next?.run.scheduledFor, T + 2 * MINUTE);
  assert.equal(next?.task.nextRunAt, T + 6 * MINUTE);
});

test("runs left running by a dead process are marked interrupted", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const task = add(store, { kind: "interval", every: "1h" });
  const claim = claimDueRun(store.db, T + HOUR);
  assert.ok(claim);
  assert.equal(recoverInterruptedRuns(store.db, T + 2 * HOUR), 1);
  const [run] = listRuns(store.db, task.id);
  assert.equal(run?.status, "failed");
  assert.equal(run?.error, "interrupted by restart");
  assert.equal(getTask(store.db, task.id)?.lastResult, "failed: interrupted by restart");
  assert.equal(recoverInterruptedRuns(store.db, T + 2 * HOUR), 0);
});

test("pause, resume and cancel", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const series = add(store, { kind: "interval", every: "1h" });
  const reminder = add(store, { kind: "once", at: "20m" });

  assert.equal(pauseTask(store.db, series.id, T)?.status, "paused");
  assert.equal(pauseTask(store.db, series.id, T), undefined);
  assert.equal(pauseTask(store.db, reminder.id, T)?.status, "paused");
  assert.equal(claimDueRun(store.db, T + 5 * HOUR), undefined);
  // Slots that passed while paused are skipped, not caught up.
  const resumed = resumeTask(store.db, series.id, T + 5 * HOUR + MINUTE);
  assert.equal(resumed?.status, "active");
  assert.equal(resumed?.nextRunAt, T + 6 * HOUR);
  assert.equal(resumeTask(store.db, series.id, T), undefined);

  // Resuming a reminder whose time has passed runs it straight away.
  assert.equal(resumeTask(store.db, reminder.id, T + HOUR)?.nextRunAt, T + HOUR);

  assert.equal(cancelTask(store.db, series.id, T)?.status, "cancelled");
  assert.equal(cancelTask(store.db, series.id, T), undefined);
  assert.equal(getTask(store.db, series.id)?.nextRunAt, null);
  assert.deepEqual(
    listTasks(store.db, { statuses: ["active"] }).map((task) => task.id),
    [reminder.id],
  );
});

test("a new schedule revives a completed task; listing filters by group", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const done = add(store, { kind: "once", at: "1h" });
  add(store, { kind: "interval", every: "1h" }, T, store.otherGroup);
  claimDueRun(store.db, T + HOUR);
  assert.equal(getTask(store.db, done.id)?.status, "completed");
  const plan = planSchedule(
    { kind: "once", at: "1h" },
    { now: T + 2 * HOUR, defaultTimezone: "UTC" },
  );
  const revived = updateTask(store.db, done.id, { plan, prompt: "again" }, T + 2 * HOUR);
  assert.deepEqual(
    [revived?.status, revived?.nextRunAt, revived?.prompt],
    ["active", T + 3 * HOUR, "again"],
  );
  assert.deepEqual(
    listTasks(store.db, { groupId: store.mainGroup }).map((task) => task.id),
    [done.id],
  );
  assert.equal(listTasks(store.db).length, 2);
});

function race(file: string, now: number): Promise<[number, number][][]> {
  const gate = new SharedArrayBuffer(4);
  const url = new URL("../scheduler/claim-worker.ts", import.meta.url);
  return Promise.all(
    [0, 1].map(
      () =>
        new Promise<[number, number][]>((resolve, reject) => {
          const worker = new Worker(url, { workerData: { file, now, gate } });
          worker.once("message", resolve);
          worker.once("error", reject);
        }),
    ),
  );
}

test("two connections racing to claim on one file fire each slot exactly once", async (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const ids: number[] = [];
  for (let i = 0; i < 150; i++) ids.push(add(store, { kind: "once", at: `${1 + (i % 5)}m` }).id);
  for (let i = 0; i < 150; i++) ids.push(add(store, { kind: "interval", every: "1m" }).id);

  const now = T + 10 * MINUTE;
  const [a = [], b = []] = await race(store.file, now);
  const slots = [...a, ...b].map(([taskId, slot]) => `${taskId}@${slot}`);
  assert.equal(new Set(slots).size, slots.length, "a slot was claimed twice");
  assert.deepEqual(
    [...a, ...b].map(([taskId]) => taskId).sort((x, y) => x - y),
    ids,
    "every task was claimed once",
  );
  assert.equal(countRows(store.db, "task_runs"), ids.length);
});
