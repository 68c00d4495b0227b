// Token usage per model response, as the credential proxy observed it.
import { type Db, sql } from "./db.ts";

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
  sql(
    db,
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
  return sql(
    db,
    `SELECT group_id AS groupId, COUNT(*) AS requests, SUM(input_tokens + cache_read_tokens + cache_write_tokens) AS inputTokens,
         SUM(output_tokens) AS outputTokens FROM usage WHERE at >= ? GROUP BY group_id ORDER BY group_id`,
  ).all(since) as unknown as UsageTotals[];
}

export interface UsageRow extends UsageRecord {
  id: number;
}

const ROW_COLUMNS = `id, group_id AS groupId, model, input_tokens AS inputTokens, output_tokens AS outputTokens,
  cache_read_tokens AS cacheReadTokens, cache_write_tokens AS cacheWriteTokens, at`;

/** Usage recorded at `from` ≤ at < `to`. */
export function usageBetween(db: Db, from: number, to: number): UsageRow[] {
  return sql(db, `SELECT ${ROW_COLUMNS} FROM usage WHERE at >= ? AND at < ? ORDER BY id`).all(
    from,
    to,
  ) as unknown as UsageRow[];
}

/** Usage recorded after the row `afterId`, in the order it was recorded. */
export function usageAfter(db: Db, afterId: number): UsageRow[] {
  return sql(db, `SELECT ${ROW_COLUMNS} FROM usage WHERE id > ? ORDER BY id`).all(
    afterId,
  ) as unknown as UsageRow[];
}

export function lastUsageId(db: Db): number {
  return (sql(db, "SELECT COALESCE(MAX(id), 0) AS id FROM usage").get() as { id: number }).id;
}
