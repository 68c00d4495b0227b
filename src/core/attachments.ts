// Files that arrive with messages are saved into the group's folder, so the agent can
// open them with its own tools; the prompt names them by a path relative to that folder.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Attachment } from "../channels/channel.ts";
import type { AgentIdentity } from "../agent/isolation/agent-isolation.ts";
import { writeTreeFile } from "../agent/isolation/tree-fs.ts";
import type { StoredAttachment } from "../store/messages.ts";
import { isDiskFull } from "../store/db.ts";
import { DISK_FULL_NOTE } from "./disk-space.ts";

function safeName(name: string): string {
  const cleaned = name.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^\.+/, "");
  return cleaned.slice(-100) || "file";
}

/**
 * What is kept about an attachment besides its file. A voice note starts out pending:
 * stored that way before transcription begins, a restart can tell it was never finished.
 */
function storedFields(attachment: Attachment): Omit<StoredAttachment, "path"> {
  const base: Omit<StoredAttachment, "path"> = {
    kind: attachment.kind,
    fileName: attachment.fileName,
  };
  if (attachment.mimeType) base.mimeType = attachment.mimeType;
  if (attachment.durationSeconds !== undefined) base.durationSeconds = attachment.durationSeconds;
  if (attachment.voice && attachment.kind === "audio") {
    base.voice = true;
    base.transcription = { status: "pending" };
  }
  return base;
}

export async function saveAttachments(
  groupFolder: string,
  messageId: number,
  attachments: Attachment[],
  maxBytes: number,
  /** The group's agent user: the files are its own, written without following its links. */
  owner: AgentIdentity | undefined,
): Promise<StoredAttachment[]> {
  // A group that has not run yet has no folder; its first session hands it to its user.
  await mkdir(groupFolder, { recursive: true, mode: 0o700 });
  const saved: StoredAttachment[] = [];
  for (const [index, attachment] of attachments.entries()) {
    const base = storedFields(attachment);
    if (attachment.size !== undefined && attachment.size > maxBytes) {
      saved.push({
        ...base,
        path: null,
        note: `larger than the ${Math.round(maxBytes / 1e6)} MB limit`,
      });
      continue;
    }
    try {
      const bytes = await attachment.download();
      if (bytes.byteLength > maxBytes) {
        saved.push({
          ...base,
          path: null,
          note: `larger than the ${Math.round(maxBytes / 1e6)} MB limit`,
        });
        continue;
      }
      const relative = join(
        "attachments",
        `${messageId}-${index}-${safeName(attachment.fileName)}`,
      );
      await writeTreeFile(groupFolder, relative, bytes, { exclusive: true, owner });
      saved.push({ ...base, path: relative });
    } catch (error) {
      saved.push({
        ...base,
        path: null,
        note: isDiskFull(error)
          ? DISK_FULL_NOTE
          : `download failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return saved;
}

/** What is kept of attachments that are not downloaded at all: each says why in `note`. */
export function unsavedAttachments(attachments: Attachment[], note: string): StoredAttachment[] {
  return attachments.map((attachment) => ({ ...storedFields(attachment), path: null, note }));
}
