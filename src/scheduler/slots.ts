// Moving tasks from slot to slot. claimDueRun is the only way a run starts: it claims a
// slot inside one IMMEDIATE transaction, so schedulers on separate connections to the same
// file never fire the same slot twice.
import { transaction, type Db } from "../store/db.ts";
import {
  activateTask,
  advanceTask,
  firstDueTask,
  getTask,
  insertRun,
  type Task,
  type TaskRun,
  type TaskStatus,
} from "../store/tasks.ts";
import { formatDuration } from "../time/duration.ts";
import { DEFAULT_ONCE_GRACE_MS, nextRunAfter } from "./schedule.ts";

/** A claimed slot: `run` means start it now; `missed` means a once task came too late to run. */
export type ClaimedRun =
  { kind: "run"; task: Task; run: TaskRun } | { kind: "missed"; task: Task; run: TaskRun };

/**
 * Resumes a paused task at its next slot after `now`: slots that passed while paused are
 * skipped, except that a once task whose time has passed runs at once (the user asked for it).
 */
export function resumeTask(db: Db, id: number, now: number): Task | undefined {
  return transaction(db, () => {
    const task = getTask(db, id);
    if (!task || task.status !== "paused") return undefined;
    let next = task.nextRunAt ?? now;
    if (next <= now) {
      next =
        task.schedule.kind === "once"
          ? now
          : (nextRunAfter(task.schedule, task.anchorAt, now) ?? now);
    }
    return activateTask(db, id, next, now);
  });
}

/**
 * Claims the earliest due slot: inserts its run and moves the task on, all in one IMMEDIATE
 * transaction. A recurring task that missed several slots gets one run, and its next slot is
 * the first one after `now`. A once task later than `onceGraceMs` is marked missed instead.
 */
export function claimDueRun(
  db: Db,
  now: number,
  onceGraceMs: number = DEFAULT_ONCE_GRACE_MS,
): ClaimedRun | undefined {
  return transaction(db, () => {
    const task = firstDueTask(db, now);
    if (!task) return undefined;
    const slot = task.nextRunAt ?? now;
    const late = now - slot;
    const missed = task.schedule.kind === "once" && late > onceGraceMs;
    const next = missed ? null : nextRunAfter(task.schedule, task.anchorAt, now);
    const status: TaskStatus = missed ? "missed" : next === null ? "completed" : "active";
    const updated = advanceTask(
      db,
      task.id,
      {
        status,
        nextRunAt: next,
        lastRunAt: missed ? task.lastRunAt : now,
        lastResult: missed ? `missed: due ${formatDuration(late)} earlier` : null,
      },
      now,
    );
    const run = insertRun(db, {
      taskId: task.id,
      scheduledFor: slot,
      startedAt: now,
      endedAt: missed ? now : null,
      status: missed ? "missed" : "running",
      error: missed
        ? `missed: due ${formatDuration(late)} earlier, past the ${formatDuration(onceGraceMs)} grace`
        : null,
    });
    return { kind: missed ? "missed" : "run", task: updated, run };
  });
}
