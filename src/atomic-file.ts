// Writes a file so that readers (and a process restarted after a crash) see either the
// old content or the new, never a torn mix: the bytes go to a temporary sibling, are
// flushed to disk, and the sibling is renamed over the target, which POSIX makes atomic.
import { open, rename, rm } from "node:fs/promises";

export const TEMP_SUFFIX = ".tmp";

let sequence = 0;

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  sequence += 1;
  const temp = `${path}.${process.pid}.${sequence}${TEMP_SUFFIX}`;
  try {
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(data, "utf8");
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
