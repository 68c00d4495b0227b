// Scheduled tasks and their runs, as stored. When a slot comes and what follows it is the
// scheduler's (scheduler/slots.ts), which claims a slot with these inside one transaction.
import { transaction, type Db, sql } from "./db.ts";

export type ScheduleKind = "cron" | "interval" | "once";

/**
 * A validated schedule as stored. `expr` is the cron pattern, the canonical interval
 * ("1h 30m") or the once instant as a UTC ISO string; `timezone` is a canonical IANA name.
 */
export interface TaskSchedule {
  kind: ScheduleKind;
  expr: string;
  timezone: string;
}

/** A schedule ready to store: intervals count from `anchorAt`, the first run is `nextRunAt`. */
export interface SchedulePlan {
  schedule: TaskSchedule;
  anchorAt: number;
  nextRunAt: number;
}

export type TaskStatus = "active" | "paused" | "cancelled" | "completed" | "missed";
export type ContextMode = "group" | "isolated";
export type RunStatus = "running" | "succeeded" | "failed" | "skipped" | "missed";

export interface Task {
  id: number;
  groupId: number;
  prompt: string;
  schedule: TaskSchedule;
  anchorAt: number;
  contextMode: ContextMode;
  script: string | null;
  status: TaskStatus;
  nextRunAt: number | null;
  lastRunAt: number | null;
  lastResult: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface TaskRun {
  id: number;
  taskId: number;
  scheduledFor: number;
  startedAt: number;
  endedAt: number | null;
  status: RunStatus;
  result: string | null;
  error: string | null;
}

export interface NewTask {
  groupId: number;
  prompt: string;
  contextMode: ContextMode;
  script: string | null;
  plan: SchedulePlan;
}

export interface TaskPatch {
  prompt?: string;
  contextMode?: ContextMode;
  script?: string | null;
  /** A new schedule; it revives a completed or missed task. */
  plan?: SchedulePlan;
  /** Only the timezone (for display and local times) of an interval or once schedule. */
  timezone?: string;
}

export type RunOutcome =
  | { status: "succeeded"; result?: string }
  | { status: "skipped"; result?: string }
  | { status: "failed"; error: string };

const MAX_RUN_TEXT = 20_000;
const MAX_LAST_RESULT = 2_000;

interface TaskRow {
  id: number;
  group_id: number;
  prompt: string;
  schedule_kind: ScheduleKind;
  schedule_expr: string;
  schedule_timezone: string;
  anchor_at: number;
  context_mode: ContextMode;
  script: string | null;
  status: TaskStatus;
  next_run_at: number | null;
  last_run_at: number | null;
  last_result: string | null;
  created_at: number;
  updated_at: number;
}

interface RunRow {
  id: number;
  task_id: number;
  scheduled_for: number;
  started_at: number;
  ended_at: number | null;
  status: RunStatus;
  result: string | null;
  error: string | null;
}

function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    groupId: row.group_id,
    prompt: row.prompt,
    schedule: { kind: row.schedule_kind, expr: row.schedule_expr, timezone: row.schedule_timezone },
    anchorAt: row.anchor_at,
    contextMode: row.context_mode,
    script: row.script,
    status: row.status,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    lastResult: row.last_result,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRun(row: RunRow): TaskRun {
  return {
    id: row.id,
    taskId: row.task_id,
    scheduledFor: row.scheduled_for,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    status: row.status,
    result: row.result,
    error: row.error,
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function createTask(db: Db, input: NewTask, now: number): Task {
  const { schedule, anchorAt, nextRunAt } = input.plan;
  const row = sql(
    db,
    `INSERT INTO tasks (group_id, prompt, schedule_kind, schedule_expr, schedule_timezone,
         anchor_at, context_mode, script, status, next_run_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?) RETURNING *`,
  ).get(
    input.groupId,
    input.prompt,
    schedule.kind,
    schedule.expr,
    schedule.timezone,
    anchorAt,
    input.contextMode,
    input.script,
    nextRunAt,
    now,
    now,
  ) as unknown as TaskRow;
  return toTask(row);
}

export function getTask(db: Db, id: number): Task | undefined {
  const row = sql(db, "SELECT * FROM tasks WHERE id = ?").get(id) as TaskRow | undefined;
  return row && toTask(row);
}

export function listTasks(
  db: Db,
  filter: { groupId?: number; statuses?: TaskStatus[] } = {},
): Task[] {
  const rows = sql(db, "SELECT * FROM tasks WHERE (? IS NULL OR group_id = ?) ORDER BY id").all(
    filter.groupId ?? null,
    filter.groupId ?? null,
  ) as unknown as TaskRow[];
  const statuses = filter.statuses;
  return rows.map(toTask).filter((task) => !statuses || statuses.includes(task.status));
}

export function updateTask(db: Db, id: number, patch: TaskPatch, now: number): Task | undefined {
  return transaction(db, () => {
    const task = getTask(db, id);
    if (!task) return undefined;
    const plan = patch.plan;
    const revive = plan !== undefined && (task.status === "completed" || task.status === "missed");
    const row = sql(
      db,
      `UPDATE tasks SET prompt = ?, context_mode = ?, script = ?, schedule_kind = ?,
           schedule_expr = ?, schedule_timezone = ?, anchor_at = ?, next_run_at = ?, status = ?,
           updated_at = ?
         WHERE id = ? RETURNING *`,
    ).get(
      patch.prompt ?? task.prompt,
      patch.contextMode ?? task.contextMode,
      patch.script === undefined ? task.script : patch.script,
      plan?.schedule.kind ?? task.schedule.kind,
      plan?.schedule.expr ?? task.schedule.expr,
      plan?.schedule.timezone ?? patch.timezone ?? task.schedule.timezone,
      plan?.anchorAt ?? task.anchorAt,
      plan?.nextRunAt ?? task.nextRunAt,
      revive ? "active" : task.status,
      now,
      id,
    ) as unknown as TaskRow;
    return toTask(row);
  });
}

/** Pauses an active task; undefined when there is no active task with this id. */
export function pauseTask(db: Db, id: number, now: number): Task | undefined {
  const row = sql(
    db,
    "UPDATE tasks SET status = 'paused', updated_at = ? WHERE id = ? AND status = 'active' RETURNING *",
  ).get(now, id) as TaskRow | undefined;
  return row && toTask(row);
}

/** Makes a task active again with its next slot at `nextRunAt` (the scheduler decides when). */
export function activateTask(db: Db, id: number, nextRunAt: number, now: number): Task {
  const row = sql(
    db,
    "UPDATE tasks SET status = 'active', next_run_at = ?, updated_at = ? WHERE id = ? RETURNING *",
  ).get(nextRunAt, now, id) as unknown as TaskRow;
  return toTask(row);
}

/** Cancels an active or paused task; undefined when there is none with this id. */
export function cancelTask(db: Db, id: number, now: number): Task | undefined {
  const row = sql(
    db,
    `UPDATE tasks SET status = 'cancelled', next_run_at = NULL, updated_at = ?
       WHERE id = ? AND status IN ('active', 'paused') RETURNING *`,
  ).get(now, id) as TaskRow | undefined;
  return row && toTask(row);
}

const DUE = `status = 'active' AND next_run_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM task_runs r WHERE r.task_id = tasks.id AND r.status = 'running')`;

/**
 * When the earliest claimable slot is due. A task whose previous run is still going is left
 * out: its slot waits for that run to finish, so runs of one task never overlap.
 */
export function nextDueAt(db: Db): number | undefined {
  const row = sql(db, `SELECT MIN(next_run_at) AS at FROM tasks WHERE ${DUE}`).get() as {
    at: number | null;
  };
  return row.at ?? undefined;
}

/** The task whose slot is earliest among those due at `now`, if any. */
export function firstDueTask(db: Db, now: number): Task | undefined {
  const row = sql(
    db,
    `SELECT * FROM tasks WHERE ${DUE} AND next_run_at <= ? ORDER BY next_run_at, id LIMIT 1`,
  ).get(now) as TaskRow | undefined;
  return row && toTask(row);
}

/** Moves a task on after one of its slots was claimed; `lastResult` null keeps the old one. */
export function advanceTask(
  db: Db,
  id: number,
  change: {
    status: TaskStatus;
    nextRunAt: number | null;
    lastRunAt: number | null;
    lastResult: string | null;
  },
  now: number,
): Task {
  const row = sql(
    db,
    `UPDATE tasks SET status = ?, next_run_at = ?, last_run_at = ?, updated_at = ?,
         last_result = COALESCE(?, last_result)
       WHERE id = ? RETURNING *`,
  ).get(
    change.status,
    change.nextRunAt,
    change.lastRunAt,
    now,
    change.lastResult,
    id,
  ) as unknown as TaskRow;
  return toTask(row);
}

/** Records a run of a slot: a started one ("running") or one that ended at once ("missed"). */
export function insertRun(
  db: Db,
  run: Pick<TaskRun, "taskId" | "scheduledFor" | "startedAt" | "endedAt" | "status" | "error">,
): TaskRun {
  const row = sql(
    db,
    `INSERT INTO task_runs (task_id, scheduled_for, started_at, ended_at, status, error)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    run.taskId,
    run.scheduledFor,
    run.startedAt,
    run.endedAt,
    run.status,
    run.error,
  ) as unknown as RunRow;
  return toRun(row);
}

function summarize(outcome: RunOutcome): string {
  switch (outcome.status) {
    case "succeeded":
      return outcome.result ?? "succeeded";
    case "skipped":
      return outcome.result ? `skipped: ${outcome.result}` : "skipped";
    case "failed":
      return `failed: ${outcome.error}`;
  }
}

/** Records how a running run ended; false if it was not running (already finished or recovered). */
export function finishRun(
  db: Db,
  runId: number,
  outcome: RunOutcome,
  now: number = Date.now(),
): boolean {
  return transaction(db, () => {
    const result = outcome.status === "failed" ? null : (outcome.result ?? null);
    const error = outcome.status === "failed" ? outcome.error : null;
    const row = sql(
      db,
      `UPDATE task_runs SET status = ?, result = ?, error = ?, ended_at = ?
         WHERE id = ? AND status = 'running' RETURNING task_id`,
    ).get(
      outcome.status,
      result === null ? null : clip(result, MAX_RUN_TEXT),
      error === null ? null : clip(error, MAX_RUN_TEXT),
      now,
      runId,
    ) as { task_id: number } | undefined;
    if (!row) return false;
    sql(db, "UPDATE tasks SET last_result = ?, updated_at = ? WHERE id = ?").run(
      clip(summarize(outcome), MAX_LAST_RESULT),
      now,
      row.task_id,
    );
    return true;
  });
}

/** Marks runs left `running` by a process that died as failed; returns how many there were. */
export function recoverInterruptedRuns(db: Db, now: number): number {
  return transaction(db, () => {
    const rows = sql(
      db,
      `UPDATE task_runs SET status = 'failed', error = 'interrupted by restart', ended_at = ?
         WHERE status = 'running' RETURNING task_id`,
    ).all(now) as unknown as { task_id: number }[];
    const mark = sql(
      db,
      "UPDATE tasks SET last_result = 'failed: interrupted by restart', updated_at = ? WHERE id = ?",
    );
    for (const row of rows) mark.run(now, row.task_id);
    return rows.length;
  });
}

export function getRun(db: Db, id: number): TaskRun | undefined {
  const row = sql(db, "SELECT * FROM task_runs WHERE id = ?").get(id) as RunRow | undefined;
  return row && toRun(row);
}

/** The newest runs of a task first. */
export function listRuns(db: Db, taskId: number, limit = 20): TaskRun[] {
  const rows = sql(
    db,
    "SELECT * FROM task_runs WHERE task_id = ? ORDER BY scheduled_for DESC, id DESC LIMIT ?",
  ).all(taskId, limit) as unknown as RunRow[];
  return rows.map(toRun);
}
