// The host's side of send_file: the path an agent names is resolved inside its group folder,
// opened through descriptors (tree-fs: no links followed, a regular file with one name, no
// FIFO can stall it), checked against the destination platform's limit, and copied into the
// host-only outbound files folder right then. What goes out later is that copy, so the agent
// swapping or changing the file after the call changes nothing.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { basename, join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { openTreeFile, TreeFileError } from "../agent/isolation/tree-fs.ts";
import type { ChannelName } from "../channels/channel.ts";
import { fileTooLarge } from "../channels/file-limits.ts";
import { mimeTypeFor } from "../channels/mime.ts";
import type { StoredOutboundFile } from "../store/outbound-files.ts";

/** A copy just taken: its message, and so its row, is written by Delivery.enqueue. */
export type TakenFile = Omit<StoredOutboundFile, "messageId" | "removedAt">;

/**
 * Where `given` (relative to the folder, or absolute inside it) lies in `folder`, as a
 * relative path; or why it names nothing there. Resolved by its text only: what the path
 * passes through on disk is checked when it is opened.
 */
export function pathInFolder(
  folder: string,
  given: string,
): { relative: string } | { error: string } {
  const path = given.trim();
  if (!path) return { error: "Give the path of a file in your folder." };
  if (path.includes("\0")) return { error: "The path contains a NUL character." };
  const relative = posix.relative(folder, posix.resolve(folder, path));
  if (relative === "") return { error: `${path} is your folder itself, not a file in it.` };
  if (relative === ".." || relative.startsWith("../") || posix.isAbsolute(relative))
    return {
      error: `${path} is outside your folder (${folder}); only files in your folder can be sent.`,
    };
  return { relative };
}

function refusal(given: string, error: TreeFileError): string {
  if (error.reason === "link")
    return `${given} is or passes through a symbolic link; send the file itself (copy it into your folder), not a link.`;
  if (error.reason === "not_directory") return `${given} cannot be reached: ${error.message}.`;
  return `Cannot send it: ${error.message}.`;
}

/**
 * Copies the file `given` names in `folder` into `filesDir` for sending to a chat of
 * `channel` (whose server may have told its own `maxBytes`); returns the copy, or the
 * refusal the agent is told.
 */
export async function takeFile(options: {
  folder: string;
  given: string;
  channel: ChannelName;
  maxBytes?: number | undefined;
  filesDir: string;
}): Promise<{ file: TakenFile } | { error: string }> {
  const where = pathInFolder(options.folder, options.given);
  if ("error" in where) return where;
  let opened: Awaited<ReturnType<typeof openTreeFile>>;
  try {
    opened = await openTreeFile(options.folder, where.relative);
  } catch (error) {
    if (error instanceof TreeFileError) return { error: refusal(where.relative, error) };
    throw error;
  }
  if (!opened) return { error: `There is no file ${where.relative} in your folder.` };
  const { handle, stat: opening } = opened;
  const name = basename(where.relative);
  try {
    if (opening.size === 0)
      return { error: `${where.relative} is empty: there is nothing to send.` };
    const tooLarge = fileTooLarge(options.channel, name, opening.size, options.maxBytes);
    if (tooLarge) return { error: tooLarge };
    await mkdir(options.filesDir, { recursive: true, mode: 0o700 });
    const stored = randomUUID();
    const copy = join(options.filesDir, stored);
    try {
      // At most the size checked above, even if the agent is still appending to it.
      await pipeline(
        handle.createReadStream({ start: 0, end: opening.size - 1, autoClose: false }),
        createWriteStream(copy, { flags: "wx", mode: 0o600 }),
      );
      const { size } = await stat(copy);
      if (size === 0) {
        await rm(copy, { force: true });
        return { error: `${where.relative} is empty: there is nothing to send.` };
      }
      return { file: { name, mimeType: mimeTypeFor(name), size, stored } };
    } catch (error) {
      await rm(copy, { force: true });
      throw error;
    }
  } finally {
    await handle.close();
  }
}
