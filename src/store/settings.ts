// Service-wide settings edited from the admin UI (key → text value), and the per-group
// daily budget that lives on the groups table.
import { type Db, sql } from "./db.ts";

export function getSetting(db: Db, key: string): string | undefined {
  const row = sql(db, "SELECT value FROM settings WHERE key = ?").get(key) as
    { value: string } | undefined;
  return row?.value;
}

export function setSetting(db: Db, key: string, value: string, now = Date.now()): void {
  sql(
    db,
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key, value, now);
}

export function deleteSetting(db: Db, key: string): void {
  sql(db, "DELETE FROM settings WHERE key = ?").run(key);
}

/** A group's own daily spend cap in USD, or null when it has none. */
export function getGroupDailyBudget(db: Db, groupId: number): number | null {
  const row = sql(db, "SELECT daily_budget_usd AS usd FROM groups WHERE id = ?").get(groupId) as
    { usd: number | null } | undefined;
  return row?.usd ?? null;
}

export function setGroupDailyBudget(db: Db, groupId: number, usd: number | null): void {
  sql(db, "UPDATE groups SET daily_budget_usd = ? WHERE id = ?").run(usd, groupId);
}

export interface GroupBudgetRow {
  id: number;
  folder: string;
  name: string;
  dailyUsd: number | null;
}

export function listGroupBudgets(db: Db): GroupBudgetRow[] {
  const rows = sql(
    db,
    "SELECT id, folder, name, daily_budget_usd AS dailyUsd FROM groups ORDER BY id",
  ).all() as unknown as GroupBudgetRow[];
  return rows.map((row) => ({ ...row }));
}
