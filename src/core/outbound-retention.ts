// Retention of the host's copies of files agents sent (store/outbound-files.ts). A platform's
// copy goes once delivered (delivery.ts), but the web chat's page downloads its files
// later, so those stay until ATTACHMENT_RETENTION_DAYS have passed; a copy whose delivery is
// still pending is never touched, whatever its age. The row stays, marked removed, so the
// history and the download route can say what became of the file. The folder is the host's
// own (store/ is out of every agent's reach): plain fs calls by name are safe here.
import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Db } from "../store/db.ts";
import { keptCopies, keptFilesSentBefore, markCopyRemoved } from "../store/outbound-files.ts";

const DAY_MS = 24 * 60 * 60_000;

export interface SentFilesPruned {
  /** Copies of sent files older than the retention, their rows marked removed. */
  expired: number;
  /** Copies no row names (a crash between the copy and its row), as old as that. */
  orphans: number;
}

/**
 * Deletes the copies of files sent more than `retentionDays` before `now` (0: none). The
 * copy goes first, then the row is marked: a crash between leaves a row whose copy is gone,
 * which the next run marks (the download route answers for a missing copy too).
 */
export async function pruneSentFiles(options: {
  db: Db;
  /** data-layout's outboundFilesDir. */
  filesDir: string;
  retentionDays: number;
  now: number;
}): Promise<SentFilesPruned> {
  const { db, filesDir, retentionDays, now } = options;
  if (retentionDays <= 0) return { expired: 0, orphans: 0 };
  const before = now - retentionDays * DAY_MS;
  let expired = 0;
  for (const file of keptFilesSentBefore(db, before)) {
    await rm(join(filesDir, file.stored), { force: true });
    markCopyRemoved(db, file.messageId, now);
    expired++;
  }
  // A copy is written just before its row (send-file.ts, then Delivery.enqueue): only one
  // older than the retention can be an orphan rather than a row still on its way.
  let orphans = 0;
  const kept = keptCopies(db);
  const names = await readdir(filesDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  for (const name of names) {
    if (kept.has(name)) continue;
    const stats = await lstat(join(filesDir, name)).catch(() => undefined);
    if (!stats?.isFile() || stats.mtimeMs >= before) continue;
    await rm(join(filesDir, name), { force: true });
    orphans++;
  }
  return { expired, orphans };
}
