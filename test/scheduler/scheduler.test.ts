import { test } from "node:test";
import assert from "node:assert/strict";
import { openDb } from "../../src/store/db.ts";
import { DiskSpace } from "../../src/core/disk-space.ts";
import { fillDiskOnWrites } from "../helpers/store.ts";
import { waitFor } from "../helpers/wait.ts";
import { MAX_TIMER_MS, Scheduler, type SchedulerOptions } from "../../src/scheduler/scheduler.ts";
import { planSchedule, type ScheduleSpec } from "../../src/scheduler/schedule.ts";
import { claimDueRun } from "../../src/scheduler/slots.ts";
import {
  createTask,
  getTask,
  listRuns,
  type RunOutcome,
  type Task,
  type TaskRun,
} from "../../src/store/tasks.ts";
import {
  cancelTask,
  pauseTask,
  resumeTask,
  scheduleTask,
  type TaskToolContext,
} from "../../src/scheduler/task-tools.ts";
import {
  countRows,
  deferred,
  fakeClock,
  openTestStore,
  silentLogger,
  type TestStore,
} from "./helpers.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T = Date.parse("2026-04-01T08:00:00Z");

type Options = Partial<SchedulerOptions> & Pick<SchedulerOptions, "db" | "clock">;

function scheduler(options: Options): Scheduler {
  return new Scheduler({
    runTask: async () => ({ status: "succeeded" }),
    logger: silentLogger,
    ...options,
  });
}

function add(store: TestStore, spec: ScheduleSpec, now = T): Task {
  const plan = planSchedule(spec, { now, defaultTimezone: "UTC" });
  return createTask(
    store.db,
    { groupId: store.mainGroup, prompt: "check", contextMode: "isolated", script: null, plan },
    now,
  );
}

test("the one timer follows the earliest slot through create, pause, resume and cancel", (t) => {
  const store = openTestStore();
  const clock = fakeClock(T);
  const s = scheduler({ db: store.db, clock: clock.now });
  t.after(() => {
    s.stop();
    store.close();
  });
  const context: TaskToolContext = {
    db: store.db,
    groupId: store.mainGroup,
    isMain: true,
    defaultTimezone: "UTC",
    clock: clock.now,
    resolveGroup: () => undefined,
    scheduler: s,
  };
  s.start();
  assert.equal(s.wakeAt, undefined);

  assert.equal(scheduleTask(context, { prompt: "later", once: "2h" }).isError, false);
  assert.equal(s.wakeAt, T + 2 * HOUR);
  assert.equal(scheduleTask(context, { prompt: "often", interval: "30m" }).isError, false);
  assert.equal(s.wakeAt, T + 30 * MINUTE);
  const [later, often] = [1, 2];

  assert.equal(pauseTask(context, { task_id: often }).isError, false);
  assert.equal(s.wakeAt, T + 2 * HOUR);
  assert.equal(resumeTask(context, { task_id: often }).isError, false);
  assert.equal(s.wakeAt, T + 30 * MINUTE);
  assert.equal(cancelTask(context, { task_id: often }).isError, false);
  assert.equal(s.wakeAt, T + 2 * HOUR);
  assert.equal(cancelTask(context, { task_id: later }).isError, false);
  assert.equal(s.wakeAt, undefined);

  // Further than setTimeout can wait: the timer wakes at the cap and re-arms from there.
  assert.equal(scheduleTask(context, { prompt: "far", once: "60d" }).isError, false);
  assert.equal(s.wakeAt, T + MAX_TIMER_MS);

  s.stop();
  assert.equal(s.wakeAt, undefined);
  s.changed();
  assert.equal(s.wakeAt, undefined);
});

test("due slots are all claimed before any run finishes, and recorded when they do", async (t) => {
  const store = openTestStore();
  const clock = fakeClock(T);
  const started: TaskRun[] = [];
  const bothStarted = deferred();
  const release = deferred();
  const s = scheduler({
    db: store.db,
    clock: clock.now,
    runTask: async (_task, run) => {
      started.push(run);
      if (started.length === 2) bothStarted.resolve();
      await release.promise;
      return { status: "succeeded", result: `done ${run.id}` };
    },
  });
  t.after(() => {
    s.stop();
    store.close();
  });
  const a = add(store, { kind: "interval", every: "10m" });
  const b = add(store, { kind: "cron", expr: "*/10 * * * *" });
  s.start();
  assert.equal(s.wakeAt, T + 10 * MINUTE);

  clock.set(T + 10 * MINUTE);
  s.changed();
  await bothStarted.promise;
  assert.deepEqual(
    started.map((run) => run.status),
    ["running", "running"],
  );
  release.resolve();
  await s.idle();
  for (const task of [a, b]) {
    const [run] = listRuns(store.db, task.id);
    assert.equal(run?.status, "succeeded");
    assert.equal(getTask(store.db, task.id)?.lastResult, `done ${run?.id}`);
  }
  assert.equal(s.wakeAt, T + 20 * MINUTE);
});

test("start catches up once, applies the once grace and fails interrupted runs", async (t) => {
  const store = openTestStore();
  const clock = fakeClock(T);
  const ran: [number, number][] = [];
  const missed: number[] = [];
  const s = scheduler({
    db: store.db,
    clock: clock.now,
    runTask: async (task, run) => {
      ran.push([task.id, run.scheduledFor]);
      return { status: "succeeded" };
    },
    onMissed: (task) => missed.push(task.id),
  });
  t.after(() => {
    s.stop();
    store.close();
  });
  const hourly = add(store, { kind: "interval", every: "1h" });
  const late = add(store, { kind: "once", at: "10h" });
  const tooLate = add(store, { kind: "once", at: "9h" });
  const crashed = add(store, { kind: "interval", every: "30m" });
  // A previous process claimed a slot and died before recording how it went.
  const stale = claimDueRun(store.db, T + 2 * HOUR);
  assert.equal(stale?.task.id, crashed.id);

  // The service comes back 10 hours and 5 minutes after the first task was created.
  clock.set(T + 10 * HOUR + 5 * MINUTE);
  s.start();
  await s.idle();
  assert.deepEqual(
    ran.sort((x, y) => x[0] - y[0]),
    [
      [hourly.id, T + HOUR],
      [late.id, T + 10 * HOUR],
      [crashed.id, T + 2.5 * HOUR],
    ],
  );
  assert.deepEqual(missed, [tooLate.id]);
  assert.equal(getTask(store.db, tooLate.id)?.status, "missed");
  assert.equal(getTask(store.db, late.id)?.status, "completed");
  assert.equal(getTask(store.db, hourly.id)?.nextRunAt, T + 11 * HOUR);
  const [, interrupted] = listRuns(store.db, crashed.id);
  assert.deepEqual([interrupted?.status, interrupted?.error], ["failed", "interrupted by restart"]);
  assert.equal(s.wakeAt, T + 10.5 * HOUR);
});

test("a run that throws is recorded as failed and the series goes on", async (t) => {
  const store = openTestStore();
  const clock = fakeClock(T);
  let calls = 0;
  const secondRun = deferred();
  const s = scheduler({
    db: store.db,
    clock: clock.now,
    runTask: async () => {
      calls += 1;
      if (calls === 1) throw new Error("model unavailable");
      secondRun.resolve();
      return { status: "skipped", result: "nothing new" };
    },
  });
  t.after(() => {
    s.stop();
    store.close();
  });
  const task = add(store, { kind: "interval", every: "5m" });
  s.start();
  clock.set(T + 5 * MINUTE);
  s.changed();
  await waitFor(() => listRuns(store.db, task.id)[0]?.status === "failed", "the failed run");
  assert.equal(listRuns(store.db, task.id)[0]?.error, "model unavailable");
  assert.equal(getTask(store.db, task.id)?.status, "active");

  clock.set(T + 10 * MINUTE);
  s.changed();
  await secondRun.promise;
  await s.idle();
  assert.deepEqual(
    listRuns(store.db, task.id).map((run) => run.status),
    ["skipped", "failed"],
  );
  assert.equal(getTask(store.db, task.id)?.lastResult, "skipped: nothing new");
});

test("two schedulers on two connections to one file fire each slot once", async (t) => {
  const store = openTestStore();
  const other = openDb(store.file);
  const clock = fakeClock(T);
  const fired: string[] = [];
  const run =
    (name: string) =>
    async (task: Task, taskRun: TaskRun): Promise<RunOutcome> => {
      fired.push(`${task.id}@${taskRun.scheduledFor}`);
      await new Promise((resolve) => setImmediate(resolve));
      return { status: "succeeded", result: name };
    };
  const a = scheduler({ db: store.db, clock: clock.now, runTask: run("a") });
  const b = scheduler({ db: other, clock: clock.now, runTask: run("b") });
  t.after(() => {
    a.stop();
    b.stop();
    other.close();
    store.close();
  });
  const tasks = Array.from({ length: 20 }, (_, i) =>
    add(
      store,
      i % 2 === 0 ? { kind: "interval", every: "1m" } : { kind: "cron", expr: "* * * * *" },
    ),
  );
  a.start();
  b.start();
  for (let round = 1; round <= 3; round++) {
    const now = T + round * MINUTE;
    clock.set(now);
    // Whichever timer is armed first claims first; alternate so both get to.
    for (const s of round % 2 === 0 ? [a, b] : [b, a]) s.changed();
    // Both timers have fired once neither is armed for `now` any more.
    const done = (s: Scheduler) => s.wakeAt === undefined || s.wakeAt > now;
    await waitFor(
      () => done(a) && done(b) && fired.length === round * tasks.length,
      `round ${round}`,
    );
    await Promise.all([a.idle(), b.idle()]);
  }
  assert.equal(new Set(fired).size, fired.length, "a slot fired twice");
  assert.equal(fired.length, 3 * tasks.length);
  assert.equal(countRows(store.db, "task_runs"), 3 * tasks.length);
});

test("a real timer fires a once task when it is due", async (t) => {
  const store = openTestStore();
  const ran = deferred<TaskRun>();
  const s = scheduler({
    db: store.db,
    clock: Date.now,
    runTask: async (_task, run) => {
      ran.resolve(run);
      return { status: "succeeded" };
    },
  });
  t.after(() => {
    s.stop();
    store.close();
  });
  s.start();
  const at = new Date(Date.now() + 300).toISOString();
  const task = add(store, { kind: "once", at }, Date.now());
  s.changed();
  const run = await ran.promise;
  assert.equal(run.taskId, task.id);
  assert.equal(run.scheduledFor, Date.parse(at));
  await s.idle();
  assert.equal(getTask(store.db, task.id)?.status, "completed");
  assert.equal(s.wakeAt, undefined);
});

test("on a full disk start does not throw; interrupted runs are recovered and slots fire once there is room", async (t) => {
  const store = openTestStore();
  const clock = fakeClock(T);
  const ran: number[] = [];
  const disk = new DiskSpace({ dir: store.dir, logger: silentLogger, checkEveryMs: HOUR });
  const s = scheduler({
    db: store.db,
    clock: clock.now,
    disk,
    runTask: async (task) => {
      ran.push(task.id);
      return { status: "succeeded" };
    },
  });
  t.after(() => {
    s.stop();
    disk.stop();
    store.close();
  });
  const task = add(store, { kind: "interval", every: "1h" });
  const stale = claimDueRun(store.db, T + HOUR);
  assert.equal(stale?.task.id, task.id);
  const full = fillDiskOnWrites(store.db, "task_runs");
  clock.set(T + 3 * HOUR);
  s.start();
  assert.equal(disk.full, true, "the refused write was reported");
  assert.deepEqual(ran, []);
  full.free();
  await waitFor(() => ran.length === 1, "the slot to fire after the disk has room");
  await s.idle();
  const [run, interrupted] = listRuns(store.db, task.id);
  assert.equal(run?.status, "succeeded");
  assert.deepEqual([interrupted?.status, interrupted?.error], ["failed", "interrupted by restart"]);
});
