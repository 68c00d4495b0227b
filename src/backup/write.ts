// Writes a backup of DATA_DIR as one tar.gz: the store as an online snapshot, every other
// file as it is when the archive reaches it. Files are read through an open descriptor for
// the size they had when opened, so a file that grows meanwhile (a transcript the agent
// appends to) contributes a consistent prefix instead of failing the backup.
import { once } from "node:events";
import { createWriteStream, existsSync, type Stats } from "node:fs";
import { mkdtemp, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Header, Pack, ReadEntry } from "tar";
import { DATABASE_PATH } from "../data-layout.ts";
import type { Db } from "../store/db.ts";
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  DATA_PREFIX,
  MANIFEST_PATH,
  type BackupManifest,
} from "./manifest.ts";
import { openTreeFile, TreeFileError } from "../agent/isolation/tree-fs.ts";
import { snapshotDatabase } from "./snapshot.ts";
import { walkDataDir } from "./walk.ts";

export interface BackupOptions {
  dataDir: string;
  /** An open connection to DATA_DIR's store (the service's own); else one is opened. */
  db?: Db;
}

export interface BackupArchive {
  /** The archive's bytes (gzip). It fails, rather than ends, if the backup cannot finish. */
  stream: ReadableStream<Uint8Array>;
  /** Resolves with the manifest once the whole archive has been produced. */
  manifest: Promise<BackupManifest>;
}

const READ_CHUNK = 1024 * 1024;

interface EntryFields {
  path: string;
  type: "File" | "Directory";
  size: number;
  mode: number;
  mtime: Date;
  uid?: number;
  gid?: number;
}

function entry(fields: EntryFields): ReadEntry {
  return new ReadEntry(new Header(fields));
}

async function writeData(target: ReadEntry, data: Buffer, signal: AbortSignal): Promise<void> {
  if (!target.write(data)) await once(target, "drain", { signal });
}

function addDirectory(pack: Pack, path: string, stat: Stats): void {
  const folder = entry({
    path,
    type: "Directory",
    size: 0,
    mode: stat.mode & 0o7777,
    mtime: stat.mtime,
    uid: stat.uid,
    gid: stat.gid,
  });
  pack.write(folder);
  folder.end();
}

/**
 * Adds one file's first `size` bytes (as they are at opening) to the pack. The file is
 * reached through descriptors (agents own parts of DATA_DIR and may swap names for links
 * or FIFOs at any moment); undefined when it is gone.
 */
async function addFile(
  pack: Pack,
  root: string,
  relative: string,
  path: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  const opened = await openTreeFile(root, relative);
  if (!opened) return undefined;
  const { handle, stat } = opened;
  try {
    const target = entry({
      path: DATA_PREFIX + path,
      type: "File",
      size: stat.size,
      mode: stat.mode & 0o7777,
      mtime: stat.mtime,
      uid: stat.uid,
      gid: stat.gid,
    });
    pack.write(target);
    let offset = 0;
    while (offset < stat.size) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, stat.size - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0)
        throw new Error(`${path} became shorter while it was being backed up; try again`);
      offset += bytesRead;
      await writeData(target, buffer.subarray(0, bytesRead), signal);
    }
    target.end();
    return stat.size;
  } finally {
    await handle.close();
  }
}

/**
 * Snapshots the store, then returns the archive as a stream that is produced as it is
 * read. Errors before the first byte (no store, a failed snapshot) reject here.
 */
export async function openBackup(options: BackupOptions): Promise<BackupArchive> {
  const { dataDir } = options;
  const store = join(dataDir, DATABASE_PATH);
  if (!options.db && !existsSync(store))
    throw new Error(`${dataDir} has no ${DATABASE_PATH}: is it a Pincer data directory?`);
  const staging = await mkdtemp(join(tmpdir(), "pincer-backup-"));
  let schemaVersion: number;
  try {
    schemaVersion = await snapshotDatabase(options.db ?? store, join(staging, "pincer.db"));
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }

  const pack = new Pack({ gzip: true });
  const abort = new AbortController();
  const files: BackupManifest["files"] = [];
  let resolveManifest!: (manifest: BackupManifest) => void;
  let rejectManifest!: (error: unknown) => void;
  const manifest = new Promise<BackupManifest>((resolve, reject) => {
    resolveManifest = resolve;
    rejectManifest = reject;
  });
  // The caller may only ever look at the stream; the manifest's failure is the stream's.
  manifest.catch(() => undefined);

  const fill = async (): Promise<BackupManifest> => {
    const walked = await walkDataDir(dataDir);
    addDirectory(pack, DATA_PREFIX, await stat(dataDir));
    let storeAdded = false;
    const addStore = async () => {
      const size = await addFile(pack, staging, "pincer.db", DATABASE_PATH, abort.signal);
      files.push({ path: DATABASE_PATH, size: size! });
      storeAdded = true;
    };
    for (const item of walked.entries) {
      if (abort.signal.aborted) throw abort.signal.reason;
      if (item.type === "directory") {
        addDirectory(pack, `${DATA_PREFIX}${item.path}/`, item.stat);
        // The snapshot takes the live file's place, right after its folder.
        if (item.path === dirname(DATABASE_PATH)) await addStore();
        continue;
      }
      let size: number | undefined;
      try {
        size = await addFile(pack, dataDir, item.path, item.path, abort.signal);
      } catch (error) {
        // Became a link, a FIFO or a second name for another file since the walk.
        if (!(error instanceof TreeFileError)) throw error;
        walked.skipped.push({ path: item.path, reason: error.message });
        continue;
      }
      if (size !== undefined) files.push({ path: item.path, size });
    }
    if (!storeAdded) await addStore();
    const result: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date().toISOString(),
      schemaVersion,
      files,
      skipped: walked.skipped,
    };
    const json = Buffer.from(`${JSON.stringify(result, null, 2)}\n`);
    const manifestEntry = entry({
      path: MANIFEST_PATH,
      type: "File",
      size: json.length,
      mode: 0o600,
      mtime: new Date(),
    });
    pack.write(manifestEntry);
    await writeData(manifestEntry, json, abort.signal);
    manifestEntry.end();
    pack.end();
    return result;
  };

  async function* chunks(): AsyncGenerator<Uint8Array> {
    const filling = fill().then(resolveManifest, (error: unknown) => {
      rejectManifest(error);
      // After a cancel nobody reads the pack any more, and an unheard "error" would throw.
      if (!abort.signal.aborted)
        pack.emit("error", error instanceof Error ? error : new Error(String(error)));
    });
    try {
      for await (const chunk of pack) yield chunk;
    } finally {
      abort.abort(new Error("backup cancelled"));
      await filling;
      await rm(staging, { recursive: true, force: true });
    }
  }

  return { stream: ReadableStream.from(chunks()), manifest };
}

/** Writes the archive to `output` (via a temporary name, so a failed backup leaves nothing). */
export async function writeBackup(
  options: BackupOptions & { output: string },
): Promise<BackupManifest> {
  const archive = await openBackup(options);
  const partial = `${options.output}.partial`;
  try {
    await pipeline(Readable.fromWeb(archive.stream), createWriteStream(partial, { mode: 0o600 }));
    const manifest = await archive.manifest;
    await rename(partial, options.output);
    return manifest;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
