// Photos, documents, voice notes, audio and video of a Telegram message as Attachments.
// Nothing is downloaded until the core asks; a file whose announced size is over the cap
// is refused before any request, and a download that turns out larger is cut off.
import type { Api } from "grammy";
import type { Message } from "grammy/types";
import type { Attachment } from "../channel.ts";

/** The Bot API serves files up to 20 MB through getFile. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export class AttachmentTooLargeError extends Error {
  constructor(fileName: string, size: number, limit: number) {
    super(`attachment ${fileName} is ${size} bytes, over the limit of ${limit} bytes`);
    this.name = "AttachmentTooLargeError";
  }
}

export interface FileSource {
  api: Api;
  apiRoot: string;
  token: string;
  maxBytes: number;
}

interface FileRef {
  kind: Attachment["kind"];
  fileId: string;
  fileName: string;
  mimeType?: string;
  size?: number;
  voice?: boolean;
  durationSeconds?: number;
}

function fileRefs(message: Message): FileRef[] {
  const refs: FileRef[] = [];
  const photo = message.photo?.reduce((best, size) =>
    size.width * size.height > best.width * best.height ? size : best,
  );
  if (photo) {
    refs.push({
      kind: "image",
      fileId: photo.file_id,
      fileName: `photo-${photo.file_unique_id}.jpg`,
      mimeType: "image/jpeg",
      size: photo.file_size,
    });
  }
  const { document, voice, audio, video } = message;
  if (document) {
    const kind = document.mime_type?.startsWith("image/") ? "image" : "file";
    refs.push({
      kind,
      fileId: document.file_id,
      fileName: document.file_name ?? `file-${document.file_unique_id}`,
      mimeType: document.mime_type,
      size: document.file_size,
    });
  }
  if (voice) {
    refs.push({
      kind: "audio",
      fileId: voice.file_id,
      fileName: `voice-${voice.file_unique_id}.ogg`,
      mimeType: voice.mime_type ?? "audio/ogg",
      size: voice.file_size,
      voice: true,
      durationSeconds: voice.duration,
    });
  }
  if (audio) {
    refs.push({
      kind: "audio",
      fileId: audio.file_id,
      fileName: audio.file_name ?? `audio-${audio.file_unique_id}`,
      mimeType: audio.mime_type,
      size: audio.file_size,
      durationSeconds: audio.duration,
    });
  }
  if (video) {
    refs.push({
      kind: "video",
      fileId: video.file_id,
      fileName: video.file_name ?? `video-${video.file_unique_id}.mp4`,
      mimeType: video.mime_type,
      size: video.file_size,
      durationSeconds: video.duration,
    });
  }
  return refs;
}

async function readCapped(response: Response, ref: FileRef, limit: number): Promise<Uint8Array> {
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (announced > limit) {
    await response.body?.cancel();
    throw new AttachmentTooLargeError(ref.fileName, announced, limit);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.byteLength;
    // Leaving the loop by throwing cancels the stream.
    if (total > limit) throw new AttachmentTooLargeError(ref.fileName, total, limit);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function download(ref: FileRef, source: FileSource): Promise<Uint8Array> {
  if (ref.size !== undefined && ref.size > source.maxBytes) {
    throw new AttachmentTooLargeError(ref.fileName, ref.size, source.maxBytes);
  }
  const file = await source.api.getFile(ref.fileId);
  if (file.file_size !== undefined && file.file_size > source.maxBytes) {
    throw new AttachmentTooLargeError(ref.fileName, file.file_size, source.maxBytes);
  }
  if (!file.file_path) throw new Error(`Telegram gave no download path for ${ref.fileName}`);
  const response = await fetch(`${source.apiRoot}/file/bot${source.token}/${file.file_path}`);
  // The URL holds the token, so the error names the file instead.
  if (!response.ok)
    throw new Error(`downloading ${ref.fileName} failed with HTTP ${response.status}`);
  return readCapped(response, ref, source.maxBytes);
}

export function attachmentsOf(message: Message, source: FileSource): Attachment[] {
  return fileRefs(message).map((ref) => {
    const attachment: Attachment = {
      kind: ref.kind,
      fileName: ref.fileName,
      download: () => download(ref, source),
    };
    if (ref.mimeType !== undefined) attachment.mimeType = ref.mimeType;
    if (ref.size !== undefined) attachment.size = ref.size;
    if (ref.voice) attachment.voice = true;
    if (ref.durationSeconds !== undefined) attachment.durationSeconds = ref.durationSeconds;
    return attachment;
  });
}
