// What the agent's task tools do, independent of the Agent SDK: validate, authorize, write,
// re-arm the scheduler and answer in words a user can read. A non-main group only ever sees
// its own tasks; another group's task id is answered as "not found".
import { z } from "zod";
import type { ToolResult } from "../agent/tools.ts";

export type { ToolResult };
import type { Db } from "../store/db.ts";
import {
  cancelTask as cancelStoredTask,
  createTask,
  getTask,
  listTasks as listStoredTasks,
  pauseTask as pauseStoredTask,
  updateTask as updateStoredTask,
  type Task,
  type TaskPatch,
} from "../store/tasks.ts";
import {
  ScheduleError,
  canonicalTimezone,
  describeSchedule,
  formatInstant,
  planSchedule,
  validatePrompt,
  type ScheduleSpec,
} from "./schedule.ts";
import { resumeTask as resumeStoredTask } from "./slots.ts";

export interface TaskToolContext {
  db: Db;
  /** The group the calling agent belongs to. */
  groupId: number;
  isMain: boolean;
  defaultTimezone: string;
  clock: () => number;
  /** A registered group's id by folder or name. */
  resolveGroup: (folderOrName: string) => number | undefined;
  /** A group's display name for main's listings; the id is shown without it. */
  describeGroup?: (groupId: number) => string | undefined;
  scheduler: { changed(): void };
}

export const MAX_SCRIPT_CHARS = 10_000;

const taskId = z.coerce.number().int().positive().describe("The task id, as list_tasks shows it.");
const cron = z
  .string()
  .optional()
  .describe(
    'A five-field cron expression in the task timezone, e.g. "0 9 * * 1-5" (weekdays 09:00).',
  );
const interval = z
  .string()
  .optional()
  .describe('A repeat interval of at least one minute, e.g. "30m", "2h", "1d".');
const once = z
  .string()
  .optional()
  .describe(
    'One run: a time such as "2026-05-01T09:00" (read in the task timezone) or with an offset, ' +
      'or a delay such as "20m" or "in 2 hours".',
  );
const timezone = z
  .string()
  .optional()
  .describe(
    'IANA timezone for cron and local times, e.g. "Europe/London"; default: the service timezone.',
  );
const contextMode = z
  .enum(["group", "isolated"])
  .optional()
  .describe('"group" runs in the group conversation with its history; "isolated" runs fresh.');
const targetGroup = z
  .string()
  .optional()
  .describe("Main chat only: the folder or name of the group the task belongs to.");

export const scheduleTaskShape = {
  prompt: z
    .string()
    .describe("What to do when the task runs, written as an instruction to yourself."),
  cron,
  interval,
  once,
  timezone,
  context_mode: contextMode,
  script: z
    .string()
    .optional()
    .describe(
      "Optional shell script run before each run; its last stdout line must be " +
        '{"wakeAgent": false} to skip the run or {"wakeAgent": true, "data": ...} to run with data.',
    ),
  target_group: targetGroup,
};
export const listTasksShape = {
  target_group: targetGroup,
  include_finished: z
    .boolean()
    .optional()
    .describe("Also list cancelled, completed and missed tasks."),
};
export const updateTaskShape = {
  task_id: taskId,
  prompt: z.string().optional(),
  cron,
  interval,
  once,
  timezone,
  context_mode: contextMode,
  script: z.string().optional().describe("A new pre-script; an empty string removes it."),
};
export const taskIdShape = { task_id: taskId };

export const scheduleTaskArgs = z.object(scheduleTaskShape);
export const listTasksArgs = z.object(listTasksShape);
export const updateTaskArgs = z.object(updateTaskShape);
export const taskIdArgs = z.object(taskIdShape);

export type ScheduleTaskArgs = z.input<typeof scheduleTaskArgs>;
export type ListTasksArgs = z.input<typeof listTasksArgs>;
export type UpdateTaskArgs = z.input<typeof updateTaskArgs>;
export type TaskIdArgs = z.input<typeof taskIdArgs>;

class ToolError extends Error {}

function fail(message: string): ToolResult {
  return { text: message, isError: true };
}

function ok(text: string): ToolResult {
  return { text, isError: false };
}

/** Runs a tool body, turning validation problems into an error result. */
function guarded(body: () => ToolResult): ToolResult {
  try {
    return body();
  } catch (error) {
    if (error instanceof ScheduleError || error instanceof ToolError) return fail(error.message);
    throw error;
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
  );
  throw new ToolError(`Invalid arguments: ${problems.join("; ")}`);
}

function specFrom(
  args: { cron?: string; interval?: string; once?: string },
  timezoneName: string | undefined,
): ScheduleSpec | undefined {
  const given = [args.cron, args.interval, args.once].filter((value) => value !== undefined);
  if (given.length > 1) throw new ToolError("Give only one of cron, interval or once.");
  if (args.cron !== undefined) return { kind: "cron", expr: args.cron, timezone: timezoneName };
  if (args.interval !== undefined) {
    return { kind: "interval", every: args.interval, timezone: timezoneName };
  }
  if (args.once !== undefined) return { kind: "once", at: args.once, timezone: timezoneName };
  return undefined;
}

function validateScript(script: string | undefined): string | null {
  if (script === undefined || script.trim().length === 0) return null;
  if (script.length > MAX_SCRIPT_CHARS) {
    throw new ToolError(
      `The script is ${script.length.toLocaleString("en")} characters long; the limit is ` +
        `${MAX_SCRIPT_CHARS.toLocaleString("en")}.`,
    );
  }
  return script;
}

function targetGroupId(context: TaskToolContext, target: string | undefined): number {
  if (target === undefined) return context.groupId;
  const resolved = context.resolveGroup(target);
  if (!context.isMain) {
    if (resolved === context.groupId) return resolved;
    throw new ToolError("Only the main chat can act on other groups' tasks.");
  }
  if (resolved === undefined) throw new ToolError(`No registered group "${target}".`);
  return resolved;
}

function visibleTask(context: TaskToolContext, id: number): Task {
  const task = getTask(context.db, id);
  if (!task || (!context.isMain && task.groupId !== context.groupId)) {
    throw new ToolError(`Task ${id} not found.`);
  }
  return task;
}

function nextRunText(task: Task): string {
  if (task.status === "paused") return "paused";
  if (task.nextRunAt === null) return "none";
  return formatInstant(task.nextRunAt, task.schedule.timezone);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function groupLabel(context: TaskToolContext, groupId: number): string {
  const name = context.describeGroup?.(groupId);
  return name ? `${name} (group ${groupId})` : `group ${groupId}`;
}

function describeTask(context: TaskToolContext, task: Task): string {
  const lines = [
    `Task ${task.id} [${task.status}] ${describeSchedule(task.schedule)}; next run: ${nextRunText(task)}`,
    `  prompt: ${oneLine(task.prompt, 120)}`,
  ];
  if (context.isMain) lines.push(`  group: ${groupLabel(context, task.groupId)}`);
  if (task.contextMode === "isolated") lines.push("  context: isolated");
  if (task.script !== null) lines.push("  pre-script: yes");
  if (task.lastResult !== null) lines.push(`  last result: ${oneLine(task.lastResult, 200)}`);
  return lines.join("\n");
}

export function scheduleTask(context: TaskToolContext, input: ScheduleTaskArgs): ToolResult {
  return guarded(() => {
    const args = parse(scheduleTaskArgs, input);
    const spec = specFrom(args, args.timezone);
    if (!spec) throw new ToolError("Give one of cron, interval or once.");
    const prompt = validatePrompt(args.prompt);
    const script = validateScript(args.script);
    const groupId = targetGroupId(context, args.target_group);
    const now = context.clock();
    const plan = planSchedule(spec, { now, defaultTimezone: context.defaultTimezone });
    const task = createTask(
      context.db,
      { groupId, prompt, contextMode: args.context_mode ?? "group", script, plan },
      now,
    );
    context.scheduler.changed();
    const where = groupId === context.groupId ? "" : ` for ${groupLabel(context, groupId)}`;
    return ok(
      `Scheduled task ${task.id}${where}: ${describeSchedule(task.schedule)}. ` +
        `Next run: ${nextRunText(task)}.`,
    );
  });
}

export function listTasks(context: TaskToolContext, input: ListTasksArgs = {}): ToolResult {
  return guarded(() => {
    const args = parse(listTasksArgs, input);
    const groupId =
      args.target_group !== undefined || !context.isMain
        ? targetGroupId(context, args.target_group)
        : undefined;
    const tasks = listStoredTasks(context.db, {
      groupId,
      statuses: args.include_finished ? undefined : ["active", "paused"],
    });
    if (tasks.length === 0) {
      return ok(
        args.include_finished ? "There are no tasks." : "There are no active or paused tasks.",
      );
    }
    return ok(tasks.map((task) => describeTask(context, task)).join("\n"));
  });
}

export function updateTask(context: TaskToolContext, input: UpdateTaskArgs): ToolResult {
  return guarded(() => {
    const args = parse(updateTaskArgs, input);
    const task = visibleTask(context, args.task_id);
    if (task.status === "cancelled") {
      throw new ToolError(`Task ${task.id} is cancelled; schedule a new task instead.`);
    }
    const patch: TaskPatch = {};
    if (args.prompt !== undefined) patch.prompt = validatePrompt(args.prompt);
    if (args.context_mode !== undefined) patch.contextMode = args.context_mode;
    if (args.script !== undefined) patch.script = validateScript(args.script);
    const now = context.clock();
    const spec =
      specFrom(args, args.timezone ?? task.schedule.timezone) ??
      (args.timezone !== undefined && task.schedule.kind === "cron"
        ? { kind: "cron" as const, expr: task.schedule.expr, timezone: args.timezone }
        : undefined);
    if (spec) patch.plan = planSchedule(spec, { now, defaultTimezone: context.defaultTimezone });
    else if (args.timezone !== undefined) patch.timezone = canonicalTimezone(args.timezone);
    if (Object.keys(patch).length === 0) throw new ToolError("Nothing to change was given.");
    const updated = updateStoredTask(context.db, task.id, patch, now);
    if (!updated) throw new ToolError(`Task ${task.id} not found.`);
    context.scheduler.changed();
    return ok(`Updated task ${updated.id}.\n${describeTask(context, updated)}`);
  });
}

export function pauseTask(context: TaskToolContext, input: TaskIdArgs): ToolResult {
  return guarded(() => {
    const task = visibleTask(context, parse(taskIdArgs, input).task_id);
    const paused = pauseStoredTask(context.db, task.id, context.clock());
    if (!paused) throw new ToolError(`Task ${task.id} is ${task.status}, not active.`);
    context.scheduler.changed();
    return ok(`Paused task ${task.id}.`);
  });
}

export function resumeTask(context: TaskToolContext, input: TaskIdArgs): ToolResult {
  return guarded(() => {
    const task = visibleTask(context, parse(taskIdArgs, input).task_id);
    const resumed = resumeStoredTask(context.db, task.id, context.clock());
    if (!resumed) throw new ToolError(`Task ${task.id} is ${task.status}, not paused.`);
    context.scheduler.changed();
    return ok(`Resumed task ${task.id}. Next run: ${nextRunText(resumed)}.`);
  });
}

export function cancelTask(context: TaskToolContext, input: TaskIdArgs): ToolResult {
  return guarded(() => {
    const task = visibleTask(context, parse(taskIdArgs, input).task_id);
    const cancelled = cancelStoredTask(context.db, task.id, context.clock());
    if (!cancelled) throw new ToolError(`Task ${task.id} is already ${task.status}.`);
    context.scheduler.changed();
    return ok(`Cancelled task ${task.id}.`);
  });
}
