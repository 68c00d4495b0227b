// Which parts of DATA_DIR go into a backup. The live database files are left out (an
// online snapshot stands in for them), as are caches, symbolic links (a restore refuses
// links), sockets and other special files, and what an earlier restore left behind.
import type { Stats } from "node:fs";
import { walkTree } from "../agent/isolation/tree-fs.ts";
import { DATABASE_PATH } from "../data-layout.ts";

export interface DataEntry {
  /** Relative to DATA_DIR, "/"-separated. */
  path: string;
  type: "file" | "directory";
  stat: Stats;
}

export interface SkippedEntry {
  path: string;
  reason: string;
}

/** Top-level names that restoring inside a mounted DATA_DIR uses for its own work. */
export const RESTORE_STAGING_PREFIX = ".restore-";
export const PREVIOUS_DATA_PREFIX = ".before-restore-";

const LIVE_DATABASE = new Set(
  ["", "-wal", "-shm", "-journal"].map((suffix) => DATABASE_PATH + suffix),
);
// XDG and npm caches in agent homes, and the caches inside a Chromium profile (the browser
// keeps one per group in the agent's home): all rebuilt on demand, often large.
const CACHE_DIRS = new Set([
  ".cache",
  ".npm",
  "Cache",
  "Code Cache",
  "GPUCache",
  "GrShaderCache",
  "ShaderCache",
  "GraphiteDawnCache",
  "DawnGraphiteCache",
  "DawnWebGPUCache",
]);

function skipReason(name: string, stat: Stats, topLevel: boolean): string | null {
  if (
    topLevel &&
    (name.startsWith(RESTORE_STAGING_PREFIX) || name.startsWith(PREVIOUS_DATA_PREFIX))
  )
    return "left by an earlier restore";
  if (stat.isSymbolicLink()) return "symbolic link";
  if (stat.isDirectory()) return CACHE_DIRS.has(name) ? "cache" : null;
  if (stat.isFile()) return null;
  return stat.isSocket() ? "socket" : "not a regular file";
}

/**
 * Lists what a backup takes, through descriptors: agents own parts of DATA_DIR, so no name
 * below it is followed if it is a link, however it changes during the walk.
 */
export async function walkDataDir(
  dataDir: string,
): Promise<{ entries: DataEntry[]; skipped: SkippedEntry[] }> {
  const entries: DataEntry[] = [];
  const skipped: SkippedEntry[] = [];
  await walkTree(dataDir, {
    entry: async ({ path, name, stat, depth }) => {
      if (LIVE_DATABASE.has(path)) return false;
      const reason = skipReason(name, stat, depth === 1);
      if (reason) {
        skipped.push({ path, reason });
        return false;
      }
      entries.push({ path, type: stat.isDirectory() ? "directory" : "file", stat });
      return true;
    },
  });
  return { entries, skipped };
}
