// What usage cost: per group per calendar day, per model, and spent so far today. The store keeps the
// token counts; prices are applied here.
import type { Db } from "../store/db.ts";
import { usageBetween, type UsageRow } from "../store/usage.ts";
import { addDays, dayBounds, dayOf } from "../time/day.ts";
import { costUsd } from "./pricing.ts";

export interface GroupDayUsage {
  groupId: number | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

/** The last `days` calendar days in `timeZone`, today included. */
export interface UsageWindow {
  timeZone: string;
  days: number;
  now?: number;
}

function dayWindow(options: UsageWindow) {
  const today = dayOf(options.now ?? Date.now(), options.timeZone);
  return Array.from({ length: options.days }, (_, i) =>
    dayBounds(addDays(today, i - options.days + 1), options.timeZone),
  );
}

export interface ModelUsage {
  /** The model id the API answered with (what was billed). */
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

/** Tokens and cost per model over the window, the most expensive first. */
export function usageByModel(db: Db, options: UsageWindow): ModelUsage[] {
  const bounds = dayWindow(options);
  const models = new Map<string, ModelUsage>();
  for (const row of usageBetween(db, bounds[0]!.start, bounds.at(-1)!.end)) {
    let entry = models.get(row.model);
    if (!entry) {
      entry = {
        model: row.model,
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0,
      };
      models.set(row.model, entry);
    }
    entry.requests += 1;
    entry.inputTokens += row.inputTokens;
    entry.outputTokens += row.outputTokens;
    entry.cacheReadTokens += row.cacheReadTokens;
    entry.cacheWriteTokens += row.cacheWriteTokens;
    entry.costUsd += costUsd(row.model, row);
  }
  return [...models.values()].sort((a, b) => b.costUsd - a.costUsd);
}

export interface DayUsage {
  day: string;
  groups: GroupDayUsage[];
  totalUsd: number;
}

/**
 * Tokens and cost per group for each of the last `days` calendar days in `timeZone`
 * (today included, oldest first, days without usage too).
 */
export function dailyUsage(db: Db, options: UsageWindow): DayUsage[] {
  const bounds = dayWindow(options);
  const result = bounds.map(() => new Map<number | null, GroupDayUsage>());
  for (const row of usageBetween(db, bounds[0]!.start, bounds.at(-1)!.end)) {
    const index = bounds.findIndex((day) => row.at < day.end);
    const groups = result[index]!;
    let entry = groups.get(row.groupId);
    if (!entry) {
      entry = {
        groupId: row.groupId,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0,
      };
      groups.set(row.groupId, entry);
    }
    entry.inputTokens += row.inputTokens;
    entry.outputTokens += row.outputTokens;
    entry.cacheReadTokens += row.cacheReadTokens;
    entry.cacheWriteTokens += row.cacheWriteTokens;
    entry.costUsd += costUsd(row.model, row);
  }
  return bounds.map((day, i) => {
    const groups = [...result[i]!.values()].sort((a, b) => (a.groupId ?? 0) - (b.groupId ?? 0));
    return { day: day.day, groups, totalUsd: groups.reduce((sum, g) => sum + g.costUsd, 0) };
  });
}

export interface Spend {
  totalUsd: number;
  byGroup: Map<number | null, number>;
}

/** Adds the cost of `rows` to `spend`. */
export function addSpend(spend: Spend, rows: UsageRow[]): void {
  for (const row of rows) {
    const cost = costUsd(row.model, row);
    spend.totalUsd += cost;
    spend.byGroup.set(row.groupId, (spend.byGroup.get(row.groupId) ?? 0) + cost);
  }
}

/** What was spent on the calendar day (in `timeZone`) that `now` falls on, overall and per group. */
export function spendOnDayOf(db: Db, timeZone: string, now = Date.now()): Spend {
  const { start, end } = dayBounds(dayOf(now, timeZone), timeZone);
  const spend: Spend = { totalUsd: 0, byGroup: new Map() };
  addSpend(spend, usageBetween(db, start, end));
  return spend;
}
