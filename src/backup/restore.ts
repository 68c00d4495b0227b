// Restores a backup into DATA_DIR while the service is stopped. The archive is checked
// entry by entry before anything is written, extracted beside DATA_DIR, its database
// checked, and only then swapped in; the previous directory is kept, never deleted.
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { extract } from "tar";
import { DATABASE_PATH } from "../data-layout.ts";
import { migrations } from "../store/migrations.ts";
import { compactTimestamp, type BackupManifest } from "./manifest.ts";
import { readArchive } from "./read-archive.ts";
import { schemaVersionOf } from "./snapshot.ts";
import { lockStore } from "./store-lock.ts";
import { PREVIOUS_DATA_PREFIX, RESTORE_STAGING_PREFIX } from "./walk.ts";

export interface RestoreOptions {
  /**
   * Swap DATA_DIR's contents rather than the directory itself. Needed when DATA_DIR is a
   * mount point (a container volume), which cannot be renamed; detected when unset.
   */
  inPlace?: boolean;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Where the data that was replaced now lives; undefined when DATA_DIR did not exist. */
  previous: string | undefined;
}

/** Where Linux lists the mount points; a bind mount keeps its parent's device number. */
const MOUNT_INFO = "/proc/self/mountinfo";

export function isMountPoint(dir: string): boolean {
  if (dir === dirname(dir) || statSync(dir).dev !== statSync(dirname(dir)).dev) return true;
  if (!existsSync(MOUNT_INFO)) return false;
  // Field 5 is the mount point, with space, tab, newline and backslash as octal escapes.
  return readFileSync(MOUNT_INFO, "utf8")
    .split("\n")
    .some((line) => {
      const field = line.split(" ")[4];
      return (
        field?.replace(/\\([0-7]{3})/g, (_, octal: string) =>
          String.fromCharCode(parseInt(octal, 8)),
        ) === dir
      );
    });
}

function checkDatabase(file: string): void {
  const db = new DatabaseSync(file);
  try {
    const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    const verdict = rows.map((row) => row.integrity_check).join("; ");
    if (verdict !== "ok") throw new Error(`the backup's database is damaged: ${verdict}`);
    const version = schemaVersionOf(db);
    const known = Math.max(...migrations.map((migration) => migration.version));
    if (version > known)
      throw new Error(
        `the backup comes from a newer Pincer (schema ${version}, this one knows ${known}): upgrade Pincer first`,
      );
  } finally {
    db.close();
  }
}

/** `base`, or `base-2`, `base-3`… when an earlier restore in the same second took it. */
function unusedPath(base: string): string {
  let path = base;
  for (let n = 2; existsSync(path); n++) path = `${base}-${n}`;
  return path;
}

async function moveEntries(from: string, to: string, keep: (name: string) => boolean) {
  for (const name of await readdir(from))
    if (keep(name)) await rename(join(from, name), join(to, name));
}

export async function restoreBackup(
  archive: string,
  dataDir: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const target = existsSync(dataDir) ? realpathSync(dataDir) : resolve(dataDir);
  const { manifest } = await readArchive(archive);
  const lock = lockStore(target);
  try {
    const exists = existsSync(target);
    const inPlace = exists && (options.inPlace ?? isMountPoint(target));
    if (!exists) await mkdir(dirname(target), { recursive: true });
    const staging = await mkdtemp(
      inPlace ? join(target, RESTORE_STAGING_PREFIX) : `${target}${RESTORE_STAGING_PREFIX}`,
    );
    try {
      await extract({ file: archive, cwd: staging, strict: true });
      const restored = join(staging, "data");
      checkDatabase(join(restored, DATABASE_PATH));
      if (!exists) {
        await rename(restored, target);
        return { manifest, previous: undefined };
      }
      const stamp = compactTimestamp();
      if (!inPlace) {
        const previous = unusedPath(`${target}${PREVIOUS_DATA_PREFIX}${stamp}`);
        await rename(target, previous);
        try {
          await rename(restored, target);
        } catch (error) {
          await rename(previous, target);
          throw error;
        }
        return { manifest, previous };
      }
      const previous = unusedPath(join(target, `${PREVIOUS_DATA_PREFIX}${stamp}`));
      await mkdir(previous);
      const ours = (name: string) =>
        !name.startsWith(RESTORE_STAGING_PREFIX) && !name.startsWith(PREVIOUS_DATA_PREFIX);
      try {
        await moveEntries(target, previous, ours);
        await moveEntries(restored, target, () => true);
      } catch (error) {
        throw new Error(
          `the restore stopped half way (${(error as Error).message}): the data it replaced is in ${previous}`,
          { cause: error },
        );
      }
      return { manifest, previous };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  } finally {
    lock.release();
  }
}
