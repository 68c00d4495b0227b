// Opens the SQLite store (WAL) and brings its schema up to date. Migrations are
// append-only: a released version is never edited, a change is a new version.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "./migrations.ts";

export type Db = DatabaseSync;

const SQLITE_FULL = 13;

/**
 * Statements compiled once per database. Compiling costs some 60 times what running a
 * simple statement does (about 0.15 ms against 2.5 µs), and a warm message runs dozens; each
 * compiled statement also holds native memory that V8 does not count, freed only when a
 * full collection finalizes it. A few texts are built (an IN list's length, a column
 * chosen from a fixed set): the cap keeps those from growing the cache without bound.
 */
const statements = new WeakMap<Db, Map<string, StatementSync>>();
const MAX_STATEMENTS = 512;

/** `db.prepare(text)`, compiled on the first use of `text` and reused after. */
export function sql(db: Db, text: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let statement = cache.get(text);
  if (!statement) {
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
    statement = db.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

export function openDb(file: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = db.prepare("SELECT MAX(version) AS v FROM schema_version").get() as {
    v: number | null;
  };
  const current = row.v ?? 0;
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    transaction(db, () => {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(migration.version);
    });
  }
}

/** Runs fn inside BEGIN IMMEDIATE … COMMIT; nested calls join the outer transaction. */
export function transaction<T>(db: Db, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    // SQLite has already rolled back after some errors (SQLITE_FULL among them); a second
    // ROLLBACK would throw and hide the error that matters.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/**
 * True for a write refused because the file system (or the database's size cap) is full:
 * SQLITE_FULL from the store, ENOSPC or EDQUOT from a file write.
 */
export function isDiskFull(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { errcode, code } = error as { errcode?: unknown; code?: unknown };
  // The low byte is the primary result code; extended codes keep it.
  if (typeof errcode === "number" && (errcode & 0xff) === SQLITE_FULL) return true;
  return code === "ENOSPC" || code === "EDQUOT";
}
