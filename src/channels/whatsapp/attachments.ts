// Images, video, voice notes, audio and documents of a WhatsApp message as Attachments.
// Nothing is downloaded until the core asks; a file whose announced size is over the cap
// is refused before any request, and a download that turns out larger is cut off.
// WhatsApp media is encrypted on its CDN; Baileys' downloadMediaMessage fetches and
// decrypts it, and asks the sender's phone to upload it again when the CDN copy expired.
import { downloadMediaMessage, type proto, type WAMessage } from "baileys";
import type { Attachment } from "../channel.ts";
import type { Logger } from "../../log.ts";
import { extensionFor } from "../mime.ts";

/** WhatsApp itself caps media at about 16 MB and documents at 2 GB; the core's cap rules. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export class AttachmentTooLargeError extends Error {
  constructor(fileName: string, limit: number, size?: number) {
    super(
      size === undefined
        ? `attachment ${fileName} is larger than the limit of ${limit} bytes`
        : `attachment ${fileName} is ${size} bytes, over the limit of ${limit} bytes`,
    );
    this.name = "AttachmentTooLargeError";
  }
}

export interface MediaSource {
  maxBytes: number;
  logger: Logger;
  /** Asks the sender's phone to re-upload media whose CDN copy is gone. */
  reupload(message: WAMessage): Promise<WAMessage>;
}

/** Protobuf gives 64-bit lengths as number or Long; both convert with Number(). */
function sizeOf(length: unknown): number | undefined {
  if (length === null || length === undefined) return undefined;
  const size = Number(length);
  return Number.isFinite(size) && size >= 0 ? size : undefined;
}

interface MediaRef {
  kind: Attachment["kind"];
  fileName: string;
  mimeType: string | undefined;
  size: number | undefined;
  /** A push-to-talk recording: WhatsApp's voice note. */
  voice?: boolean;
  durationSeconds?: number | undefined;
}

function mediaRef(content: proto.IMessage, id: string): MediaRef | undefined {
  const { imageMessage, videoMessage, audioMessage, documentMessage } = content;
  if (imageMessage) {
    const mimeType = imageMessage.mimetype ?? "image/jpeg";
    return {
      kind: "image",
      fileName: `image-${id}.${extensionFor(mimeType)}`,
      mimeType,
      size: sizeOf(imageMessage.fileLength),
    };
  }
  if (videoMessage) {
    const mimeType = videoMessage.mimetype ?? "video/mp4";
    return {
      kind: "video",
      fileName: `video-${id}.${extensionFor(mimeType)}`,
      mimeType,
      size: sizeOf(videoMessage.fileLength),
      durationSeconds: videoMessage.seconds ?? undefined,
    };
  }
  if (audioMessage) {
    const mimeType = audioMessage.mimetype ?? "audio/ogg";
    const stem = audioMessage.ptt ? "voice" : "audio";
    return {
      kind: "audio",
      fileName: `${stem}-${id}.${extensionFor(mimeType)}`,
      mimeType,
      size: sizeOf(audioMessage.fileLength),
      voice: audioMessage.ptt === true,
      durationSeconds: audioMessage.seconds ?? undefined,
    };
  }
  if (documentMessage) {
    const mimeType = documentMessage.mimetype ?? undefined;
    return {
      kind: mimeType?.startsWith("image/") ? "image" : "file",
      fileName: documentMessage.fileName || `document-${id}.${extensionFor(mimeType)}`,
      mimeType,
      size: sizeOf(documentMessage.fileLength),
    };
  }
  return undefined;
}

async function download(
  message: WAMessage,
  ref: MediaRef,
  source: MediaSource,
): Promise<Uint8Array> {
  if (ref.size !== undefined && ref.size > source.maxBytes) {
    throw new AttachmentTooLargeError(ref.fileName, source.maxBytes, ref.size);
  }
  const stream = await downloadMediaMessage(
    message,
    "stream",
    {},
    { logger: source.logger, reuploadRequest: source.reupload },
  );
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > source.maxBytes) {
      stream.destroy();
      throw new AttachmentTooLargeError(ref.fileName, source.maxBytes);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** `content` is the message's unwrapped content (see normalizeMessageContent). */
export function attachmentsOf(
  message: WAMessage,
  content: proto.IMessage,
  source: MediaSource,
): Attachment[] {
  const ref = mediaRef(content, message.key.id ?? "unknown");
  if (!ref) return [];
  // downloadMediaMessage reads the media fields from message.message, which may be wrapped
  // (ephemeral, view-once, document-with-caption); it unwraps them itself.
  return [
    {
      kind: ref.kind,
      fileName: ref.fileName,
      ...(ref.mimeType ? { mimeType: ref.mimeType } : {}),
      ...(ref.size !== undefined ? { size: ref.size } : {}),
      ...(ref.voice ? { voice: true } : {}),
      ...(ref.durationSeconds !== undefined ? { durationSeconds: ref.durationSeconds } : {}),
      download: () => download(message, ref, source),
    },
  ];
}
