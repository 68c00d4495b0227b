// Proves that nothing (above all a running service) has DATA_DIR's store open, and keeps it
// that way while a restore swaps the directory. A WAL connection holds a shared lock on the
// database file for as long as it is open, so an exclusive lock is only granted once every
// other connection, in any process, is closed; a service that was killed holds nothing.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { DATABASE_PATH } from "../data-layout.ts";

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

export interface StoreLock {
  release(): void;
}

export class StoreInUseError extends Error {
  constructor(dataDir: string) {
    super(
      `${join(dataDir, DATABASE_PATH)} is in use: stop the Pincer service that runs on ${dataDir} (or whatever else has the database open), then try again`,
    );
    this.name = "StoreInUseError";
  }
}

export function lockStore(dataDir: string): StoreLock {
  const file = join(dataDir, DATABASE_PATH);
  if (!existsSync(file)) return { release() {} };
  const db = new DatabaseSync(file);
  try {
    db.exec("PRAGMA busy_timeout = 0");
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    db.close();
    const code = (error as { errcode?: number }).errcode;
    if (code === SQLITE_BUSY || code === SQLITE_LOCKED) throw new StoreInUseError(dataDir);
    // Not a database SQLite can lock (a damaged file, say): nothing can be serving from it,
    // and replacing it is what the restore is for.
    return { release() {} };
  }
  return {
    release() {
      db.exec("ROLLBACK");
      db.close();
    },
  };
}
