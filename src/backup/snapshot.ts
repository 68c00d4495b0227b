// A consistent copy of the live SQLite store, taken with SQLite's online backup API while
// the service keeps writing.
import { backup, DatabaseSync } from "node:sqlite";
import type { Db } from "../store/db.ts";

// All pages in one step: the copy is then one read transaction, which WAL lets run beside
// writers. Smaller steps would start over whenever another connection writes.
const ALL_PAGES = 2 ** 31 - 1;

export function schemaVersionOf(db: Db): number {
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as {
    v: number | null;
  };
  return row.v ?? 0;
}

/**
 * Copies the store into `destination` as a self-contained file (rollback journal, no WAL
 * beside it) and returns its schema version. `source` is either an open connection (the
 * service's own) or the path of the store to open for the copy.
 */
export async function snapshotDatabase(source: Db | string, destination: string): Promise<number> {
  const db = typeof source === "string" ? new DatabaseSync(source) : source;
  try {
    if (typeof source === "string") db.exec("PRAGMA busy_timeout = 5000");
    await backup(db, destination, { rate: ALL_PAGES });
  } finally {
    if (db !== source) db.close();
  }
  const copy = new DatabaseSync(destination);
  try {
    copy.exec("PRAGMA journal_mode = DELETE");
    const check = copy.prepare("PRAGMA quick_check").get() as { quick_check: string };
    if (check.quick_check !== "ok")
      throw new Error(`the database snapshot failed its check: ${check.quick_check}`);
    return schemaVersionOf(copy);
  } finally {
    copy.close();
  }
}
