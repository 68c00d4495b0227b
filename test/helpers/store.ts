// A real SQLite store in a temp dir, and a way to make its disk look full.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../../src/store/db.ts";
import { insertGroup, type Group, type NewGroup } from "../../src/store/groups.ts";

export interface TempStore {
  dir: string;
  file: string;
  db: Db;
  close(): void;
}

export function openTempStore(): TempStore {
  const dir = mkdtempSync(join(tmpdir(), "pincer-unit-"));
  const file = join(dir, "store", "pincer.db");
  const db = openDb(file);
  return {
    dir,
    file,
    db,
    close() {
      if (db.isOpen) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Telegram group "Crabs" (chat 42) that answers every message; `fields` change it. */
export function addCrabsGroup(db: Db, fields: Partial<NewGroup> = {}): Group {
  const group: NewGroup = {
    channel: "telegram",
    chatId: "42",
    folder: "crabs",
    name: "Crabs",
    trigger: "@Andy",
    requiresTrigger: false,
    isMain: false,
  };
  return insertGroup(db, { ...group, ...fields }, 0);
}

/**
 * From now on every insert or update of `table` fails with SQLITE_FULL, as on a full disk
 * (each needs a new page of a store that may not grow), until `free()`.
 */
export function fillDiskOnWrites(db: Db, table: string): { free(): void } {
  db.exec("CREATE TABLE IF NOT EXISTS disk_filler (x BLOB)");
  for (const event of ["INSERT", "UPDATE"]) {
    db.exec(
      `CREATE TEMP TRIGGER fill_${table}_${event} AFTER ${event} ON ${table} BEGIN INSERT INTO disk_filler VALUES (randomblob(65536)); END`,
    );
  }
  const pages = (db.prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
  db.exec(`PRAGMA max_page_count = ${pages + 2}`);
  return {
    free() {
      for (const event of ["INSERT", "UPDATE"]) db.exec(`DROP TRIGGER fill_${table}_${event}`);
      db.exec("PRAGMA max_page_count = 1073741823");
    },
  };
}
