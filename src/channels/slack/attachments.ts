// Slack files on an inbound message become attachments whose content is fetched only when
// the core keeps the message: url_private needs the bot token, and without the files:read
// scope Slack answers with its sign-in page (HTTP 200, HTML) instead of the file.
import type { Attachment } from "../channel.ts";

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

async function download(
  url: string,
  token: string,
  maxBytes: number,
  mimeType?: string,
): Promise<Uint8Array> {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
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

export function fileAttachment(
  file: SlackFile,
  botToken: string,
  maxBytes: number,
): Attachment | undefined {
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
      return download(url, botToken, maxBytes, mimeType);
    },
  };
}
