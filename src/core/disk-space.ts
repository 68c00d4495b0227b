// The file system under DATA_DIR can fill up (an agent's dd, a flood of attachments): then
// writes to the store fail with SQLITE_FULL and file writes with ENOSPC. The service must
// not die of it. Every place that writes refuses in a defined way and reports here; the
// owner hears of it once per episode (one error line, a warning on the setup page), and the
// state clears by itself once the file system has room again.
import { EventEmitter } from "node:events";
import { statfsSync } from "node:fs";
import type { Logger } from "../log.ts";
import { isDiskFull } from "../store/db.ts";

/** What a refused write tells whoever sent it (a web chat client, an adapter's log). */
export const DISK_FULL_REFUSAL =
  "not stored: the disk that holds Pincer's data is full (once space is freed, Pincer carries on by itself)";

/** The note of an attachment not saved because the disk is full. */
export const DISK_FULL_NOTE = "not saved: the disk is full";

export class DiskFullError extends Error {
  constructor() {
    super(DISK_FULL_REFUSAL);
    this.name = "DiskFullError";
  }
}

export interface FreeSpace {
  bytes: number;
  /** Free inodes, or undefined when the file system does not count them. */
  files: number | undefined;
}

export interface DiskSpaceOptions {
  /** A directory on the file system to watch that only the service can write (the store's). */
  dir: string;
  logger: Logger;
  /** Free bytes from which the disk counts as usable again. */
  roomBytes?: number;
  /** How often a full disk is checked for room. */
  checkEveryMs?: number;
  /** For tests: the free space of `dir`. */
  freeSpace?: (dir: string) => FreeSpace;
}

// Enough for the store to take messages and replies for a while: recovering at the first
// free kilobyte would have the disk "full" again at the next attachment.
const DEFAULT_ROOM_BYTES = 16 * 1024 * 1024;
const DEFAULT_CHECK_EVERY_MS = 5_000;

function statfsFreeSpace(dir: string): FreeSpace {
  const stats = statfsSync(dir);
  return { bytes: stats.bavail * stats.bsize, files: stats.files > 0 ? stats.ffree : undefined };
}

export class DiskSpace extends EventEmitter<{ recovered: [] }> {
  private readonly options: Required<DiskSpaceOptions>;
  private fullSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: DiskSpaceOptions) {
    super();
    this.options = {
      roomBytes: DEFAULT_ROOM_BYTES,
      checkEveryMs: DEFAULT_CHECK_EVERY_MS,
      freeSpace: statfsFreeSpace,
      ...options,
    };
  }

  get full(): boolean {
    return this.fullSince !== undefined;
  }

  /** The setup page's warning while the disk is full. */
  get warning(): string | undefined {
    if (this.fullSince === undefined) return undefined;
    return `The disk that holds DATA_DIR is full (since ${new Date(this.fullSince).toISOString()}): incoming messages are refused and replies may be lost until space is freed (look for large files in the groups' folders). Pincer carries on by itself once there is room.`;
  }

  /**
   * Notes a failed write. True when it failed for lack of space: the first such failure of
   * an episode is logged at error level, later ones only at debug level.
   */
  report(error: unknown, what: string): boolean {
    if (!isDiskFull(error)) return false;
    const err = error instanceof Error ? error.message : String(error);
    if (this.fullSince !== undefined) {
      this.options.logger.debug({ what, err }, "not written: the disk is still full");
      return true;
    }
    this.fullSince = Date.now();
    this.options.logger.error(
      { what, err },
      "The disk that holds DATA_DIR is full: incoming messages are refused and replies may be lost until space is freed",
    );
    this.timer = setInterval(() => this.check(), this.options.checkEveryMs);
    this.timer.unref();
    return true;
  }

  /** Runs a write (sync or async); a failure for lack of space becomes a DiskFullError. */
  write<T>(what: string, fn: () => T): T {
    const refusal = (error: unknown): unknown =>
      this.report(error, what) ? new DiskFullError() : error;
    try {
      const result = fn();
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          throw refusal(error);
        }) as T;
      }
      return result;
    } catch (error) {
      throw refusal(error);
    }
  }

  /** Runs a write that may be lost on a full disk: undefined when it was. */
  attempt<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (this.report(error, what)) return undefined;
      throw error;
    }
  }

  /** While full: whether there is room again; if so the episode ends (and `recovered` fires). */
  check(): boolean {
    if (this.fullSince === undefined) return true;
    let free: FreeSpace;
    try {
      free = this.options.freeSpace(this.options.dir);
    } catch {
      return false;
    }
    if (free.bytes < this.options.roomBytes || free.files === 0) return false;
    this.options.logger.info(
      { freeMb: Math.round(free.bytes / 1024 / 1024) },
      "The disk that holds DATA_DIR has room again",
    );
    this.fullSince = undefined;
    this.stop();
    this.emit("recovered");
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
