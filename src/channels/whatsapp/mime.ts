// The few MIME types WhatsApp media comes in or documents go out as, and their extensions.
import { extname } from "node:path";

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "video/mp4": "mp4",
  "audio/ogg": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/aac": "aac",
  "application/pdf": "pdf",
  "application/zip": "zip",
  "application/json": "json",
  "text/plain": "txt",
  "text/csv": "csv",
  "text/markdown": "md",
  "text/html": "html",
};

const MIME_TYPES = new Map(Object.entries(EXTENSIONS).map(([mime, ext]) => [ext, mime]));
MIME_TYPES.set("jpeg", "image/jpeg");

export function extensionFor(mimeType: string | null | undefined): string {
  const base = (mimeType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return EXTENSIONS[base] ?? "bin";
}

export function mimeTypeForFile(path: string): string {
  return MIME_TYPES.get(extname(path).slice(1).toLowerCase()) ?? "application/octet-stream";
}
