// Writing into a folder that an agent owns, as root, without being steered by it: the
// agent can replace any name in its tree with a symbolic link between our check and our
// write. The final name is opened without following links, and the opened file's real
// location is checked against the tree before a byte is written.
import {
  closeSync,
  constants,
  fchownSync,
  fstatSync,
  lchownSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join, sep } from "node:path";

export interface TreeWriteOptions {
  /**
   * Fail if the file exists (a new attachment) instead of replacing its content (a memory
   * edit). Replacing truncates on open, so only replace where every directory on the way
   * is out of the agent's reach (e.g. the CLAUDE.md at the top of its folder).
   */
  exclusive: boolean;
  /** Owner the file ends up with, so the agent can keep working with it. */
  owner?: { uid: number; gid: number } | undefined;
}

export class UnsafePathError extends Error {}

/** Creates the folders on the way, owned by `owner`; an existing one is left as it is. */
function makeDirectories(
  root: string,
  relativeDir: string,
  owner: TreeWriteOptions["owner"],
): void {
  let current = root;
  for (const part of relativeDir.split(sep).filter((p) => p && p !== ".")) {
    current = join(current, part);
    try {
      mkdirSync(current, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    if (owner) lchownSync(current, owner.uid, owner.gid);
  }
}

export function writeIntoTree(
  root: string,
  relativePath: string,
  data: string | Uint8Array,
  options: TreeWriteOptions,
): void {
  const realRoot = realpathSync(root);
  const target = join(realRoot, relativePath);
  if (!target.startsWith(realRoot + sep)) {
    throw new UnsafePathError(`${relativePath} is outside ${root}`);
  }
  makeDirectories(realRoot, dirname(relativePath), options.owner);
  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    constants.O_NOFOLLOW |
    (options.exclusive ? constants.O_EXCL : constants.O_TRUNC);
  let fd: number;
  try {
    fd = openSync(target, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") {
      throw new UnsafePathError(`${relativePath} is a symbolic link; not writing through it`);
    }
    throw error;
  }
  try {
    const opened = readlinkSync(`/proc/self/fd/${fd}`);
    if (!opened.startsWith(realRoot + sep)) {
      if (options.exclusive) unlinkSync(opened);
      throw new UnsafePathError(`${relativePath} led outside ${root}; not writing`);
    }
    const { owner } = options;
    if (owner) {
      const stat = fstatSync(fd);
      if (stat.uid !== owner.uid && stat.nlink === 1) fchownSync(fd, owner.uid, owner.gid);
    }
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
  } finally {
    closeSync(fd);
  }
}
