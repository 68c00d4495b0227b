// Calendar days in the service's time zone. A day is not always 24 hours: it has 23 or 25
// around DST changes, and in some zones (e.g. America/Santiago) midnight itself is skipped
// and the day starts at 01:00. Every boundary here is found with Intl, never by adding
// 24 hours.
import { dateFormat } from "./date-format.ts";

function formatter(timeZone: string): Intl.DateTimeFormat {
  return dateFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
}

/** The calendar day ("YYYY-MM-DD") that the instant `at` falls on in `timeZone`. */
export function dayOf(at: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(at)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The day `count` days after `day` (negative: before). */
export function addDays(day: string, count: number): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + count)).toISOString().slice(0, 10);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The first instant (ms since the epoch, to the minute) of `day` in `timeZone`. */
export function startOfDay(day: string, timeZone: string): number {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  // UTC offsets lie within ±14 h, so the day starts within 16 h of its UTC midnight;
  // the local date only ever moves forward, so a binary search finds the first minute.
  let before = Date.UTC(year, month - 1, date) - 16 * HOUR;
  let from = Date.UTC(year, month - 1, date) + 16 * HOUR;
  while (from - before > MINUTE) {
    const middle = before + Math.floor((from - before) / 2 / MINUTE) * MINUTE;
    if (dayOf(middle, timeZone) >= day) from = middle;
    else before = middle;
  }
  return from;
}

export interface DayBounds {
  day: string;
  /** First instant of the day. */
  start: number;
  /** First instant of the next day. */
  end: number;
}

export function dayBounds(day: string, timeZone: string): DayBounds {
  return {
    day,
    start: startOfDay(day, timeZone),
    end: startOfDay(addDays(day, 1), timeZone),
  };
}
