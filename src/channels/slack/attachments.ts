// Slack files on an inbound message become attachments whose content is fetched only when
// the core keeps the message: url_private needs the bot token, and without the files:read
// scope Slack answers with its sign-in page (HTML) instead of the file. The URL comes from
// the event, so the token goes only to Slack's file host, and along no redirect elsewhere.
import type { Logger } from "../../log.ts";
import type { Attachment } from "../channel.ts";

/** Where Slack serves url_private; SLACK_FILES_URL replaces it (tests, a proxy). */
const DEFAULT_FILES_URL = "https://files.slack.com";
const MAX_REDIRECTS = 5;

export interface DownloadOptions {
  botToken: string;
  maxBytes: number;
  /** The only origin the bot token is sent to; https://files.slack.com unless set. */
  filesUrl?: string | undefined;
  logger: Logger;
}

export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  mode?: string;
  url_private?: string;
  url_private_download?: string;
  /** "slack_audio" for a clip recorded in Slack (a voice note), "slack_video" for a video clip. */
  subtype?: string;
  duration_ms?: number;
}

function kindOf(mimeType: string | undefined): Attachment["kind"] {
  if (mimeType?.startsWith("image/")) return "image";
  if (mimeType?.startsWith("audio/")) return "audio";
  if (mimeType?.startsWith("video/")) return "video";
  return "file";
}

/** Fetches with the token, following redirects only while they stay on the file host. */
async function fetchFromFileHost(start: string, options: DownloadOptions): Promise<Response> {
  const filesOrigin = new URL(options.filesUrl ?? DEFAULT_FILES_URL).origin;
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (!URL.canParse(url) || new URL(url).origin !== filesOrigin) {
      const host = URL.canParse(url) ? new URL(url).host : "(unreadable URL)";
      options.logger.warn(
        { host, allowed: filesOrigin },
        hop === 0
          ? "refused a Slack file URL outside Slack's file host: the bot token is not sent there"
          : "refused a Slack file redirect to another host: the bot token is not sent there",
      );
      throw new Error(
        hop === 0
          ? `Slack file URL is on ${host}, not Slack's file host (${filesOrigin}): not downloaded`
          : `Slack redirected the file download to ${host} (the bot token may lack the files:read scope): not followed`,
      );
    }
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${options.botToken}` },
      redirect: "manual",
    });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) return response;
    await response.body?.cancel();
    url = new URL(location, url).href;
  }
  throw new Error(`Slack file download redirected more than ${MAX_REDIRECTS} times`);
}

async function download(
  url: string,
  options: DownloadOptions,
  mimeType?: string,
): Promise<Uint8Array> {
  const { maxBytes } = options;
  const response = await fetchFromFileHost(url, options);
  if (!response.ok || !response.body)
    throw new Error(`Slack file download failed: HTTP ${response.status}`);
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/html") && !mimeType?.startsWith("text/html")) {
    await response.body.cancel();
    throw new Error(
      "Slack returned its sign-in page instead of the file: the bot token needs the files:read scope",
    );
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new Error(`Slack file is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function fileAttachment(file: SlackFile, options: DownloadOptions): Attachment | undefined {
  const { maxBytes } = options;
  const url = file.url_private_download ?? file.url_private;
  if (!url || file.mode === "tombstone" || file.mode === "hidden_by_limit") return undefined;
  const mimeType = file.mimetype || undefined;
  // Slack labels some audio clips video/mp4 or gives no type; the subtype is what says it.
  const voice = file.subtype === "slack_audio";
  return {
    kind: voice ? "audio" : kindOf(mimeType),
    fileName: file.name ?? file.title ?? file.id,
    mimeType,
    size: file.size,
    ...(voice ? { voice: true } : {}),
    ...(file.duration_ms !== undefined ? { durationSeconds: file.duration_ms / 1000 } : {}),
    download: async () => {
      if (file.size !== undefined && file.size > maxBytes) {
        throw new Error(`Slack file is ${file.size} bytes, over the ${maxBytes} byte limit`);
      }
      return download(url, options, mimeType);
    },
  };
}
