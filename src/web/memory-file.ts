// Reading and replacing a CLAUDE.md memory file from the admin UI. A group's folder belongs
// to its agent, so the file is reached only through descriptors (tree-fs): never through a
// link the agent put there, never blocking on a FIFO, and a written file keeps the
// folder's owner.
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { MAX_MEMORY_BYTES, MEMORY_FILE } from "../agent/global-memory.ts";
import { openTreeDir, readTreeFile, writeTreeFile } from "../agent/isolation/tree-fs.ts";

export interface MemoryContent {
  content: string;
  /** Changes whenever the content does; a save can insist on the version it started from. */
  version: string;
  updatedAt: number | null;
}

function versionOf(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 16);
}

export async function readMemory(dir: string): Promise<MemoryContent> {
  const file = await readTreeFile(dir, MEMORY_FILE, MAX_MEMORY_BYTES);
  if (!file) return { content: "", version: versionOf(""), updatedAt: null };
  const content = file.data.toString("utf8");
  return { content, version: versionOf(content), updatedAt: file.stat.mtimeMs };
}

/** Replaces the memory in `dir` (which must exist); a new file gets the folder's owner and `mode`. */
export async function writeMemory(
  dir: string,
  content: string,
  mode = 0o600,
): Promise<MemoryContent> {
  // A group that never ran has no folder yet; its first session hands it to its user.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const handle = await openTreeDir(dir);
  const { uid, gid } = await handle.stat().finally(() => handle.close());
  await writeTreeFile(dir, MEMORY_FILE, content, { exclusive: false, owner: { uid, gid }, mode });
  return readMemory(dir);
}
