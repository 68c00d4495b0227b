// The host's only way into a tree an agent can write (its group folder, its home): through
// file descriptors. A path is never resolved by name below the tree's root: every step is
// one name looked up in a directory the host already holds open (/proc/self/fd/<fd>/<name>,
// the equivalent of openat), without following a symbolic link, and without blocking on a
// FIFO (O_NONBLOCK); what was opened is checked with fstat (a regular file of bounded size,
// one link, or a directory) before a byte is read or written. Everything here is async: a
// stalled filesystem call parks a thread-pool thread, never the event loop.
//
// The root itself is opened by name, so it must sit in a directory agents cannot write
// (groups/, agents/, DATA_DIR), which is how the data directory is laid out.
import { constants, type Stats } from "node:fs";
import { lchown, lstat, mkdir, open, readdir, type FileHandle } from "node:fs/promises";
import type { AgentIdentity } from "./as-agent.ts";

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;

/** Why a file in an agent's tree was not read or written; the message names the problem. */
export class TreeFileError extends Error {
  readonly reason: "link" | "not_regular" | "too_large" | "not_directory" | "bad_name";
  constructor(reason: TreeFileError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

function checkedName(name: string): string {
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\0"))
    throw new TreeFileError("bad_name", `"${name}" is not a plain file name`);
  return name;
}

/** The path that names `name` inside the directory open as `dir` (openat for Node). */
function at(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${checkedName(name)}`;
}

function parts(relative: string): string[] {
  return relative.split("/").filter((part) => part !== "" && part !== ".");
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

async function openNoFollow(path: string, flags: number, what: string): Promise<FileHandle> {
  try {
    return await open(path, flags | O_NOFOLLOW | O_NONBLOCK, 0o600);
  } catch (error) {
    if (code(error) === "ELOOP")
      throw new TreeFileError("link", `${what} is a symbolic link; not following it`);
    if (code(error) === "ENOTDIR") {
      // Opening a link as a directory without following it fails so too: say which it is.
      const stat = await lstat(path).catch(() => undefined);
      if (stat?.isSymbolicLink())
        throw new TreeFileError("link", `${what} is a symbolic link; not following it`);
      throw new TreeFileError("not_directory", `${what} is not a directory`);
    }
    // A FIFO opened for writing with nobody reading it.
    if (code(error) === "ENXIO")
      throw new TreeFileError("not_regular", `${what} is not a regular file`);
    throw error;
  }
}

/** Opens `root` (a real directory, never a link) and the directories `relative` names in it. */
export async function openTreeDir(root: string, relative = ""): Promise<FileHandle> {
  let dir = await openNoFollow(root, O_RDONLY | O_DIRECTORY, root);
  try {
    for (const part of parts(relative)) {
      const next = await openNoFollow(at(dir, part), O_RDONLY | O_DIRECTORY, part);
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (error) {
    await dir.close().catch(() => undefined);
    throw error;
  }
}

function split(relative: string): { dir: string; name: string } {
  const all = parts(relative);
  const name = all.pop();
  if (!name) throw new TreeFileError("bad_name", `"${relative}" names no file`);
  return { dir: all.join("/"), name };
}

/** A file opened in a tree must be a regular file with no other names (a hard link). */
async function regularFile(handle: FileHandle, what: string): Promise<Stats> {
  const stat = await handle.stat();
  if (stat.isDirectory())
    throw new TreeFileError("not_regular", `${what} is a folder, not a regular file`);
  if (!stat.isFile())
    throw new TreeFileError(
      "not_regular",
      `${what} is not a regular file (a FIFO, a socket or a device)`,
    );
  if (stat.nlink > 1)
    throw new TreeFileError("not_regular", `${what} has other names (a hard link); not using it`);
  return stat;
}

export interface TreeFile {
  data: Buffer;
  stat: Stats;
}

/**
 * Opens `relative` under `root` for reading: a regular file with one name, reached without
 * following links; undefined when it does not exist.
 */
export async function openTreeFile(
  root: string,
  relative: string,
): Promise<{ handle: FileHandle; stat: Stats } | undefined> {
  const { dir: dirPath, name } = split(relative);
  let dir: FileHandle;
  try {
    dir = await openTreeDir(root, dirPath);
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  }
  let handle: FileHandle;
  try {
    handle = await openNoFollow(at(dir, name), O_RDONLY, relative);
  } catch (error) {
    if (code(error) === "ENOENT") return undefined;
    throw error;
  } finally {
    await dir.close();
  }
  try {
    return { handle, stat: await regularFile(handle, relative) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads `relative` under `root`, at most `maxBytes`; undefined when it does not exist. */
export async function readTreeFile(
  root: string,
  relative: string,
  maxBytes: number,
): Promise<TreeFile | undefined> {
  const opened = await openTreeFile(root, relative);
  if (!opened) return undefined;
  const { handle, stat } = opened;
  try {
    if (stat.size > maxBytes)
      throw new TreeFileError(
        "too_large",
        `${relative} is ${stat.size} bytes, more than the ${maxBytes} allowed`,
      );
    const data = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < stat.size) {
      const { bytesRead } = await handle.read(data, offset, stat.size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return { data: data.subarray(0, offset), stat };
  } finally {
    await handle.close();
  }
}

export interface TreeWriteOptions {
  /** Fail with EEXIST if the file exists (a new attachment) instead of replacing its content. */
  exclusive: boolean;
  /** Owner of what this creates (folders on the way, the file), so the agent can use it. */
  owner?: AgentIdentity | undefined;
  /** Mode of a created file (default 0600). */
  mode?: number;
}

/** Opens (creating, owned by `owner`) the directories of `relative` below `dir`. */
async function makeDirs(
  root: FileHandle,
  relative: string,
  owner: AgentIdentity | undefined,
): Promise<FileHandle> {
  let dir = root;
  try {
    for (const part of parts(relative)) {
      let created = false;
      try {
        await mkdir(at(dir, part), { mode: 0o700 });
        created = true;
      } catch (error) {
        if (code(error) !== "EEXIST") throw error;
      }
      const next = await openNoFollow(at(dir, part), O_RDONLY | O_DIRECTORY, part);
      if (dir !== root) await dir.close();
      dir = next;
      // Only what this call made is handed over, through its descriptor.
      if (created && owner) await dir.chown(owner.uid, owner.gid);
    }
    return dir;
  } catch (error) {
    if (dir !== root) await dir.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Writes `data` to `relative` under `root`. A new file is created exclusively and handed to
 * `owner` through its descriptor; an existing one is replaced only if it is a regular file
 * with a single name (truncated after that check, never by the open).
 */
export async function writeTreeFile(
  root: string,
  relative: string,
  data: string | Uint8Array,
  options: TreeWriteOptions,
): Promise<void> {
  const { dir: dirPath, name } = split(relative);
  const top = await openTreeDir(root);
  let dir: FileHandle | undefined;
  let file: FileHandle | undefined;
  try {
    dir = await makeDirs(top, dirPath, options.owner);
    const path = at(dir, name);
    try {
      file = await openNoFollow(path, O_WRONLY | O_CREAT | O_EXCL, relative);
      if (options.mode !== undefined) await file.chmod(options.mode);
      if (options.owner) await file.chown(options.owner.uid, options.owner.gid);
    } catch (error) {
      if (code(error) !== "EEXIST" || options.exclusive) throw error;
      file = await openNoFollow(path, O_WRONLY, relative);
      await regularFile(file, relative);
      await file.truncate(0);
    }
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await file.write(bytes, offset, bytes.byteLength - offset, offset);
      offset += bytesWritten;
    }
  } finally {
    await file?.close();
    if (dir && dir !== top) await dir.close();
    await top.close();
  }
}

export interface TreeEntry {
  /** Relative to the walk's root, "/"-separated. */
  path: string;
  name: string;
  stat: Stats;
  /** Depth below the root: 1 for the root's own entries. */
  depth: number;
}

export interface WalkVisitor {
  /** Called for every entry (lstat of its name in an open directory). Return false to skip a directory's contents. */
  entry(entry: TreeEntry, parent: FileHandle): Promise<boolean | void>;
}

/**
 * Visits every entry below `root` in name order, descending only into real directories,
 * each opened through its parent's descriptor without following links.
 */
export async function walkTree(root: string, visitor: WalkVisitor): Promise<void> {
  const visit = async (dir: FileHandle, prefix: string, depth: number): Promise<void> => {
    const names = (await readdir(`/proc/self/fd/${dir.fd}`)).sort();
    for (const name of names) {
      let stat: Stats;
      try {
        stat = await lstat(at(dir, name));
      } catch (error) {
        if (code(error) === "ENOENT") continue; // deleted meanwhile
        throw error;
      }
      const path = prefix ? `${prefix}/${name}` : name;
      const descend = await visitor.entry({ path, name, stat, depth }, dir);
      if (!stat.isDirectory() || descend === false) continue;
      let child: FileHandle;
      try {
        child = await openNoFollow(at(dir, name), O_RDONLY | O_DIRECTORY, path);
      } catch (error) {
        // Swapped for something else since the lstat: not a directory to enter.
        if (error instanceof TreeFileError || code(error) === "ENOENT") continue;
        throw error;
      }
      try {
        await visit(child, path, depth + 1);
      } finally {
        await child.close();
      }
    }
  };
  const top = await openTreeDir(root);
  try {
    await visit(top, "", 1);
  } finally {
    await top.close();
  }
}

/** Opens the regular file `name` of the directory open as `dir`, refusing anything else. */
export async function openFileAt(dir: FileHandle, name: string): Promise<FileHandle> {
  const file = await openNoFollow(at(dir, name), O_RDONLY, name);
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new TreeFileError("not_regular", `${name} is not a regular file`);
    return file;
  } catch (error) {
    await file.close();
    throw error;
  }
}

export interface OwnershipChange {
  path: string;
  from: { uid: number; gid: number };
}

/**
 * Gives the whole tree at `root` to `owner` (the root gets `rootMode`), through
 * descriptors: directories and single-named regular files are fchown'd after fstat, links
 * and other special files are lchown'd by their name in an open directory (never followed),
 * files with several names are left alone. Returns what changed hands.
 */
export async function ownTree(
  root: string,
  owner: { uid: number; gid: number },
  rootMode: number,
): Promise<OwnershipChange[]> {
  const changed: OwnershipChange[] = [];
  const top = await openTreeDir(root);
  try {
    const stat = await top.stat();
    if (stat.uid !== owner.uid || stat.gid !== owner.gid) {
      await top.chown(owner.uid, owner.gid);
      changed.push({ path: ".", from: { uid: stat.uid, gid: stat.gid } });
    }
    if ((stat.mode & 0o7777) !== rootMode) await top.chmod(rootMode);
  } finally {
    await top.close();
  }
  await walkTree(root, {
    entry: async ({ path, name, stat }, dir) => {
      if (stat.uid === owner.uid && stat.gid === owner.gid) return;
      if (stat.isDirectory() || stat.isFile()) {
        let handle: FileHandle;
        try {
          handle = await openNoFollow(
            at(dir, name),
            O_RDONLY | (stat.isDirectory() ? O_DIRECTORY : 0),
            path,
          );
        } catch (error) {
          if (error instanceof TreeFileError || code(error) === "ENOENT") return;
          throw error;
        }
        try {
          const opened = await handle.stat();
          if (opened.isFile() && opened.nlink > 1) return;
          if (!opened.isFile() && !opened.isDirectory()) return;
          await handle.chown(owner.uid, owner.gid);
          changed.push({ path, from: { uid: opened.uid, gid: opened.gid } });
        } finally {
          await handle.close();
        }
        return;
      }
      await lchown(at(dir, name), owner.uid, owner.gid).catch((error: unknown) => {
        if (code(error) !== "ENOENT") throw error;
      });
      changed.push({ path, from: { uid: stat.uid, gid: stat.gid } });
    },
  });
  return changed;
}
