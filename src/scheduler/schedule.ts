// Schedule specs for tasks: validation with messages an agent can relay to a user, and
// next-run arithmetic. Pure: every function takes the current time as an argument.
import { Cron, CronDate } from "croner";
import type { SchedulePlan, TaskSchedule } from "../store/tasks.ts";
import { formatDuration, parseDuration } from "../time/duration.ts";
import { wallClock } from "../time/wall-clock.ts";

export type ScheduleSpec =
  | { kind: "cron"; expr: string; timezone?: string }
  | { kind: "interval"; every: string; timezone?: string }
  | { kind: "once"; at: string; timezone?: string };

/** A problem with what the user asked for, worded so the agent can pass it on. */
export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleError";
  }
}

export const MAX_PROMPT_CHARS = 10_000;
export const MIN_INTERVAL_MS = 60_000;
export const DEFAULT_ONCE_GRACE_MS = 10 * 60_000;
const MAX_DELAY_MS = 3650 * 86_400_000;

export function validatePrompt(prompt: string): string {
  if (prompt.trim().length === 0) throw new ScheduleError("The task prompt is empty.");
  if (prompt.length > MAX_PROMPT_CHARS) {
    throw new ScheduleError(
      `The task prompt is ${prompt.length.toLocaleString("en")} characters long; the limit is ` +
        `${MAX_PROMPT_CHARS.toLocaleString("en")}.`,
    );
  }
  return prompt;
}

/** The canonical IANA name ("europe/london" → "Europe/London"), or a ScheduleError. */
export function canonicalTimezone(timezone: string): string {
  let resolved: string | undefined;
  try {
    resolved = new Intl.DateTimeFormat("en", { timeZone: timezone.trim() }).resolvedOptions()
      .timeZone;
  } catch {
    resolved = undefined;
  }
  // Intl also accepts bare offsets ("+05:00"); they ignore daylight saving, so insist on a zone name.
  if (resolved === undefined || /^[+-]/.test(resolved)) {
    throw new ScheduleError(
      `Unknown timezone "${timezone}". Use an IANA timezone name such as "Europe/London", ` +
        `"America/New_York" or "UTC".`,
    );
  }
  return resolved;
}

function cronJob(expr: string, timezone: string): Cron {
  return new Cron(expr, { timezone, paused: true, mode: "5-part" });
}

/** The normalised pattern and its first slot after `now`. */
function validateCron(
  expr: string,
  timezone: string,
  now: number,
): { pattern: string; first: number } {
  const pattern = expr.trim().replace(/\s+/g, " ");
  const help =
    'Use five fields "minute hour day-of-month month day-of-week", e.g. "0 9 * * 1-5" for ' +
    "weekdays at 09:00.";
  if (pattern.length === 0) throw new ScheduleError(`The cron expression is empty. ${help}`);
  let job: Cron;
  try {
    job = cronJob(pattern, timezone);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error))
      .replace(/^CronPattern:\s*/, "")
      .replace(/^mode '5-part' requires/, "a cron expression needs")
      .replace(/\.$/, "");
    throw new ScheduleError(`Invalid cron expression "${expr}": ${reason}. ${help}`);
  }
  const first = job.nextRun(new Date(now));
  if (first === null) {
    throw new ScheduleError(`The cron expression "${expr}" never matches a future date.`);
  }
  return { pattern, first: first.getTime() };
}

function validateInterval(every: string): number {
  const ms = parseDuration(every.trim().replace(/^every\s+/i, ""));
  if (ms === undefined) {
    throw new ScheduleError(
      `Invalid interval "${every}". Write a duration such as "30m", "2h", "1d" or "1h30m".`,
    );
  }
  if (ms < MIN_INTERVAL_MS) {
    throw new ScheduleError(`The interval "${every}" is shorter than the minimum of 1 minute.`);
  }
  if (ms > MAX_DELAY_MS)
    throw new ScheduleError(`The interval "${every}" is longer than 10 years.`);
  return ms;
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

function parseOnceAt(at: string, timezone: string, now: number): number {
  const text = at.trim();
  const delay = parseDuration(text.replace(/^in\s+/i, ""));
  if (delay !== undefined) {
    if (delay <= 0) throw new ScheduleError(`The delay "${at}" must be longer than zero.`);
    if (delay > MAX_DELAY_MS) throw new ScheduleError(`The delay "${at}" is longer than 10 years.`);
    return now + delay;
  }
  const invalid = new ScheduleError(
    `Invalid time "${at}". Give an ISO time such as "2026-05-01T09:00" (read in ${timezone}) ` +
      `or "2026-05-01T09:00:00Z", or a delay such as "20m" or "in 2 hours".`,
  );
  const match = ISO_TIME.exec(text);
  if (!match) throw invalid;
  const [year, month, day, hour, minute, second] = match
    .slice(1, 7)
    .map((part) => Number(part ?? 0));
  const fraction = match[7] ? Math.floor(Number(match[7]) * 1000) : 0;
  const offset = match[8]?.toUpperCase();
  if (year === undefined || month === undefined || day === undefined) throw invalid;
  // Date.UTC rolls 31 April over to 1 May; a round trip that changes the day means the date was invalid.
  const probe = new Date(Date.UTC(year, month - 1, day));
  const valid =
    probe.getUTCDate() === day &&
    probe.getUTCMonth() === month - 1 &&
    (hour ?? 0) <= 23 &&
    (minute ?? 0) <= 59 &&
    (second ?? 0) <= 59;
  if (!valid) throw invalid;
  const two = (n: number | undefined) => String(n ?? 0).padStart(2, "0");
  const local = `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}`;
  if (offset === "Z") return Date.parse(`${local}Z`) + fraction;
  if (offset) return Date.parse(`${local}${offset.slice(0, 3)}:${offset.slice(-2)}`) + fraction;
  // Without an offset the time is a wall-clock time in the task's timezone.
  return new CronDate(local, timezone).getTime() + fraction;
}

export interface PlanContext {
  now: number;
  defaultTimezone: string;
}

/** Validates a spec and computes where its series starts; throws ScheduleError. */
export function planSchedule(spec: ScheduleSpec, context: PlanContext): SchedulePlan {
  const timezone = canonicalTimezone(spec.timezone ?? context.defaultTimezone);
  const { now } = context;
  switch (spec.kind) {
    case "cron": {
      const { pattern, first } = validateCron(spec.expr, timezone, now);
      return {
        schedule: { kind: "cron", expr: pattern, timezone },
        anchorAt: now,
        nextRunAt: first,
      };
    }
    case "interval": {
      const every = validateInterval(spec.every);
      return {
        schedule: { kind: "interval", expr: formatDuration(every), timezone },
        anchorAt: now,
        nextRunAt: now + every,
      };
    }
    case "once": {
      const at = parseOnceAt(spec.at, timezone, now);
      if (at < now) {
        throw new ScheduleError(
          `The time "${spec.at}" (${formatInstant(at, timezone)}) is in the past; it is now ` +
            `${formatInstant(now, timezone)}.`,
        );
      }
      return {
        schedule: { kind: "once", expr: new Date(at).toISOString(), timezone },
        anchorAt: now,
        nextRunAt: at,
      };
    }
  }
}

/**
 * The first slot strictly after `after`, or null when the series has no more slots.
 * Interval slots are `anchorAt + k * every` (k ≥ 1), so a late run never shifts the grid.
 */
export function nextRunAfter(
  schedule: TaskSchedule,
  anchorAt: number,
  after: number,
): number | null {
  switch (schedule.kind) {
    case "cron":
      return cronJob(schedule.expr, schedule.timezone).nextRun(new Date(after))?.getTime() ?? null;
    case "interval": {
      const every = parseDuration(schedule.expr);
      if (every === undefined) throw new Error(`stored interval "${schedule.expr}" is unreadable`);
      const k = Math.max(1, Math.floor((after - anchorAt) / every) + 1);
      return anchorAt + k * every;
    }
    case "once":
      return null;
  }
}

/** "Fri, 20 Mar 2026, 09:00 America/New_York": the wall-clock time where the task lives. */
export function formatInstant(ms: number, timezone: string): string {
  return `${wallClock(ms, timezone)} ${timezone}`;
}

export function describeSchedule(schedule: TaskSchedule): string {
  switch (schedule.kind) {
    case "cron":
      return `cron "${schedule.expr}" (${schedule.timezone})`;
    case "interval":
      return `every ${schedule.expr}`;
    case "once":
      return `once at ${formatInstant(Date.parse(schedule.expr), schedule.timezone)}`;
  }
}
