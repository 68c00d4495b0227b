// Which parts of DATA_DIR go into a backup. The live database files are left out (an
// online snapshot stands in for them), as are caches, symbolic links (a restore refuses
// links), sockets and other special files, and what an earlier restore left behind.
import { lstat, readdir } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import { STORE_PATH } from "./manifest.ts";

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
  ["", "-wal", "-shm", "-journal"].map((suffix) => STORE_PATH + suffix),
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

async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    // Something the service deleted between listing and looking is simply not backed up.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function walkDataDir(
  dataDir: string,
): Promise<{ entries: DataEntry[]; skipped: SkippedEntry[] }> {
  const entries: DataEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const visit = async (relativeDir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(join(dataDir, relativeDir))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const name of names) {
      const path = relativeDir ? `${relativeDir}/${name}` : name;
      if (LIVE_DATABASE.has(path)) continue;
      const stat = await lstatIfPresent(join(dataDir, path));
      if (!stat) continue;
      const reason = skipReason(name, stat, relativeDir === "");
      if (reason) {
        skipped.push({ path, reason });
        continue;
      }
      if (stat.isDirectory()) {
        entries.push({ path, type: "directory", stat });
        await visit(path);
      } else {
        entries.push({ path, type: "file", stat });
      }
    }
  };
  await visit("");
  return { entries, skipped };
}
