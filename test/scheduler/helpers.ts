// Shared set-up for scheduler tests: a real SQLite file in a temp dir with two groups.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../../src/store/db.ts";
import { createLogger } from "../../src/log.ts";

export const silentLogger = createLogger("silent");

export interface TestStore {
  dir: string;
  file: string;
  db: Db;
  mainGroup: number;
  otherGroup: number;
  close(): void;
}

export function openTestStore(): TestStore {
  const dir = mkdtempSync(join(tmpdir(), "pincer-scheduler-"));
  const file = join(dir, "pincer.db");
  const db = openDb(file);
  const insert = db.prepare(
    `INSERT INTO groups (channel, chat_id, folder, name, trigger_word, is_main, created_at)
     VALUES ('web', ?, ?, ?, '@Andy', ?, 0) RETURNING id`,
  );
  const main = insert.get("main-chat", "main", "Main", 1) as { id: number };
  const other = insert.get("family-chat", "family", "Family", 0) as { id: number };
  return {
    dir,
    file,
    db,
    mainGroup: main.id,
    otherGroup: other.id,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A clock the test moves by hand. */
export function fakeClock(start: number): { now: () => number; set(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    set(ms: number) {
      current = ms;
    },
  };
}

export function countRows(db: Db, table: "tasks" | "task_runs"): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** A promise with its resolver, for waiting on callbacks. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
