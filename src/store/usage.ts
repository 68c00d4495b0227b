// Token usage per model response, as the credential proxy observed it.
import type { Db } from "./db.ts";
import { costUsd } from "../budget/pricing.ts";
import { addDays, dayBounds, dayOf } from "../time/day.ts";

export interface UsageRecord {
  groupId: number | null;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  at: number;
}

export function recordUsage(db: Db, usage: UsageRecord): void {
  db.prepare(
    `INSERT INTO usage (group_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    usage.groupId,
    usage.model,
    usage.inputTokens,
    usage.outputTokens,
    usage.cacheReadTokens,
    usage.cacheWriteTokens,
    usage.at,
  );
}

export interface UsageTotals {
  groupId: number | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

export function usageSince(db: Db, since: number): UsageTotals[] {
  return db
    .prepare(
      `SELECT group_id AS groupId, COUNT(*) AS requests, SUM(input_tokens + cache_read_tokens + cache_write_tokens) AS inputTokens,
         SUM(output_tokens) AS outputTokens FROM usage WHERE at >= ? GROUP BY group_id ORDER BY group_id`,
    )
    .all(since) as unknown as UsageTotals[];
}

export interface UsageRow extends UsageRecord {
  id: number;
}

const ROW_COLUMNS = `id, group_id AS groupId, model, input_tokens AS inputTokens, output_tokens AS outputTokens,
  cache_read_tokens AS cacheReadTokens, cache_write_tokens AS cacheWriteTokens, at`;

/** Usage recorded at `from` ≤ at < `to`. */
export function usageBetween(db: Db, from: number, to: number): UsageRow[] {
  return db
    .prepare(`SELECT ${ROW_COLUMNS} FROM usage WHERE at >= ? AND at < ? ORDER BY id`)
    .all(from, to) as unknown as UsageRow[];
}

/** Usage recorded after the row `afterId`, in the order it was recorded. */
export function usageAfter(db: Db, afterId: number): UsageRow[] {
  return db
    .prepare(`SELECT ${ROW_COLUMNS} FROM usage WHERE id > ? ORDER BY id`)
    .all(afterId) as unknown as UsageRow[];
}

export function lastUsageId(db: Db): number {
  return (db.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM usage").get() as { id: number }).id;
}

export interface GroupDayUsage {
  groupId: number | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
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
export function dailyUsage(
  db: Db,
  options: { timeZone: string; days: number; now?: number },
): DayUsage[] {
  const today = dayOf(options.now ?? Date.now(), options.timeZone);
  const bounds = Array.from({ length: options.days }, (_, i) =>
    dayBounds(addDays(today, i - options.days + 1), options.timeZone),
  );
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
