// A file the assistant sent, as the API and the pages show it: where its copy downloads
// from, or, once the copy is gone (core/outbound-retention.ts, core/delivery.ts), a sentence
// saying so and why, so a page shows that instead of a broken image or link.
import type { StoredOutboundFile } from "../store/outbound-files.ts";

/** `url`: where the copy downloads from; null once it is not kept, and `removed` says why. */
export type SentFile = { name: string; type: string; size: number } & (
  { url: string } | { url: null; removed: string }
);

const days = (n: number): string => (n === 1 ? "1 day" : `${n} days`);

/** "report.pdf is no longer kept: …", naming the retention or the platform that has it. */
export function removedNote(name: string, channel: string, retentionDays: number): string {
  const why =
    channel !== "web"
      ? `Pincer deletes its copy of a file once ${channel} has it`
      : retentionDays > 0
        ? `files the assistant sends to the web chat are kept for ${days(retentionDays)} (ATTACHMENT_RETENTION_DAYS)`
        : "its copy was deleted by the retention (ATTACHMENT_RETENTION_DAYS)";
  return `${name} is no longer kept: ${why}.`;
}

/** `file`, sent in a chat on `channel`, as the API gives it. */
export function sentFile(
  file: StoredOutboundFile,
  channel: string,
  retentionDays: number,
): SentFile {
  const shown = { name: file.name, type: file.mimeType, size: file.size };
  return file.removedAt === null
    ? { ...shown, url: `/api/chat/files/${file.messageId}` }
    : { ...shown, url: null, removed: removedNote(file.name, channel, retentionDays) };
}
