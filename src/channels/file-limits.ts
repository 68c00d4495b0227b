// How large a file each platform accepts from a bot, checked when the agent calls send_file
// so it learns at once (in words) instead of from a send that fails later in the outbox.
import type { ChannelName } from "./channel.ts";

const MB = 1024 * 1024;

interface FileLimit {
  maxBytes: number;
  /** Who the limit binds, as the sentence says it: "Telegram bots can send at most …". */
  who: string;
}

export const FILE_LIMITS: Record<ChannelName, FileLimit> = {
  // The page downloads it from this host; the cap keeps one file from filling the disk.
  web: { maxBytes: 100 * MB, who: "the web chat" },
  // Bot API: 50 MB for documents (sendPhoto takes 10 MB: larger images go as documents).
  telegram: { maxBytes: 50 * MB, who: "Telegram bots" },
  // The default upload limit of a server without boosts.
  discord: { maxBytes: 10 * MB, who: "Discord bots" },
  slack: { maxBytes: 1024 * MB, who: "Slack apps" },
  // Documents; images and videos over 16 MB go as documents.
  whatsapp: { maxBytes: 100 * MB, who: "WhatsApp" },
  // What common mail providers accept in one message (Gmail: 25 MB).
  email: { maxBytes: 25 * MB, who: "email" },
  signal: { maxBytes: 100 * MB, who: "Signal" },
  // Synapse's default max_upload_size.
  matrix: { maxBytes: 50 * MB, who: "Matrix" },
};

/** Images larger than these go as documents: Telegram's sendPhoto, WhatsApp's media. */
export const TELEGRAM_PHOTO_MAX_BYTES = 10 * MB;
export const WHATSAPP_MEDIA_MAX_BYTES = 16 * MB;

/** "60 MB", "512 KB", "12 bytes": sizes as a person reads them. */
export function formatSize(bytes: number): string {
  if (bytes >= MB) return `${Math.round((bytes / MB) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/**
 * Why `name` (of `size` bytes) cannot go out through `channel`, or undefined when it can.
 * `reported` is the limit the platform's server gave (Channel.maxFileBytes), which wins.
 */
export function fileTooLarge(
  channel: ChannelName,
  name: string,
  size: number,
  reported?: number,
): string | undefined {
  const { maxBytes: known, who } = FILE_LIMITS[channel];
  const maxBytes = reported ?? known;
  if (size <= maxBytes) return undefined;
  const whose = reported === undefined ? who : `${who} (as this server is set up)`;
  return `${name} is ${formatSize(size)}; ${whose} can send at most ${formatSize(maxBytes)}.`;
}
