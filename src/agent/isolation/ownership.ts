// File ownership and modes that keep agents apart when each group runs as its own uid:
// DATA_DIR and the folders holding group trees can be traversed but not listed, the store
// stays root-only, and a group's folder and agent home belong to its uid with mode 0700.
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Paths } from "../memory.ts";

/** Modes for the shared parts of DATA_DIR; called once at start. */
export function secureDataDir(paths: Paths): void {
  for (const dir of [paths.dataDir, paths.groupsDir, paths.agentsDir]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o711);
  }
  mkdirSync(paths.storeDir, { recursive: true });
  chmodSync(paths.storeDir, 0o700);
}

/**
 * Hands a tree to `uid`: every directory and regular file not already owned by it is
 * lchown'd (links themselves, never their targets), and the root gets `rootMode`.
 * Only call this while no process of `uid` runs, so nothing can swap parts of the tree
 * under the walk. A file with several hard links is left alone: it may be a link an agent
 * made to a file it must not own.
 */
export function adoptTree(root: string, uid: number, gid: number, rootMode: number): void {
  const visit = (path: string): void => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      if (stat.uid !== uid) lchownSync(path, uid, gid);
      return;
    }
    if (stat.isFile() && stat.nlink > 1) return;
    if (!stat.isFile() && !stat.isDirectory()) return;
    if (stat.uid !== uid || stat.gid !== gid) lchownSync(path, uid, gid);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  chmodSync(root, rootMode);
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
