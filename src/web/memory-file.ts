// Reading and replacing a CLAUDE.md memory file from the admin UI. The folder may belong
// to the group's agent (its own uid), so the file is neither read nor written through a
// symbolic link the agent put there, and a written file keeps the folder's owner.
import { createHash } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { writeIntoTree } from "../agent/isolation/safe-write.ts";

export const MEMORY_FILE = "CLAUDE.md";

export interface MemoryContent {
  content: string;
  /** Changes whenever the content does; a save can insist on the version it started from. */
  version: string;
  updatedAt: number | null;
}

function versionOf(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 16);
}

export class MemoryLinkError extends Error {}

export function readMemory(dir: string): MemoryContent {
  let fd: number;
  try {
    fd = openSync(join(dir, MEMORY_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { content: "", version: versionOf(""), updatedAt: null };
    if (code === "ELOOP")
      throw new MemoryLinkError(`${MEMORY_FILE} is a symbolic link; not following it`);
    throw error;
  }
  try {
    const content = readFileSync(fd, "utf8");
    return { content, version: versionOf(content), updatedAt: fstatSync(fd).mtimeMs };
  } finally {
    closeSync(fd);
  }
}

export function writeMemory(dir: string, content: string): MemoryContent {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { uid, gid } = statSync(dir);
  writeIntoTree(dir, MEMORY_FILE, content, { exclusive: false, owner: { uid, gid } });
  return readMemory(dir);
}
