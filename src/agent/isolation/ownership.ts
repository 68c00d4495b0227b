// File ownership and modes that keep agents apart when each group runs as its own uid:
// DATA_DIR and the folders holding group trees can be traversed but not listed, the store
// stays root-only, and a group's folder and agent home belong to its uid with mode 0700.
// Nothing here walks an agent's tree by name: ownership changes go through tree-fs.
import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Paths } from "../../data-layout.ts";
import { openFileAt, openTreeDir, ownTree } from "./tree-fs.ts";

/** Modes for the shared parts of DATA_DIR; called once at start. */
export function secureDataDir(paths: Paths): void {
  for (const dir of [paths.dataDir, paths.groupsDir, paths.agentsDir]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o711);
  }
  mkdirSync(paths.storeDir, { recursive: true });
  chmodSync(paths.storeDir, 0o700);
}

const HOST_MODES: [keyof Paths, number][] = [
  ["dataDir", 0o711],
  ["groupsDir", 0o711],
  ["agentsDir", 0o711],
];

/**
 * Gives back to the service what only it may own: DATA_DIR and the folders holding group
 * trees (the top of each, through a descriptor), the whole store, the admin token and the
 * shared memory. Returns each path that had another owner, with that owner, so start-up
 * can say so loudly: it means something took them since the last run.
 */
export async function reclaimHostFiles(
  paths: Paths,
  /** Trees besides the store that only the service writes, with the mode of their top. */
  hostTrees: { tree: string; mode: number }[],
  /** Files directly in DATA_DIR that only the service reads (e.g. the admin token). */
  topFiles: string[],
): Promise<string[]> {
  const owner = { uid: process.getuid!(), gid: process.getgid!() };
  const wrong: string[] = [];
  for (const [key, mode] of HOST_MODES) {
    const dir = await openTreeDir(paths[key]);
    try {
      const stat = await dir.stat();
      if (stat.uid !== owner.uid) wrong.push(`${paths[key]} (was uid ${stat.uid})`);
      if (stat.uid !== owner.uid || stat.gid !== owner.gid) await dir.chown(owner.uid, owner.gid);
      if ((stat.mode & 0o7777) !== mode) await dir.chmod(mode);
    } finally {
      await dir.close();
    }
  }
  const top = await openTreeDir(paths.dataDir);
  try {
    for (const name of topFiles) {
      let file;
      try {
        file = await openFileAt(top, name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      try {
        const stat = await file.stat();
        if (stat.uid !== owner.uid)
          wrong.push(`${join(paths.dataDir, name)} (was uid ${stat.uid})`);
        await file.chown(owner.uid, owner.gid);
        await file.chmod(0o600);
      } finally {
        await file.close();
      }
    }
  } finally {
    await top.close();
  }
  for (const { tree, mode } of [{ tree: paths.storeDir, mode: 0o700 }, ...hostTrees]) {
    let changed;
    try {
      changed = await ownTree(tree, owner, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    for (const { path, from } of changed) wrong.push(`${join(tree, path)} (was uid ${from.uid})`);
  }
  return wrong;
}

/** Ancestors of `dir` that another uid cannot pass through (no o+x), outermost first. */
export function untraversableAncestors(dir: string): string[] {
  const blocked: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const parent = join(current, "..");
    if (parent === current) break;
    current = parent;
    if ((lstatSync(current).mode & 0o001) === 0) blocked.unshift(current);
  }
  return blocked;
}
