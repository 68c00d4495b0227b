// MIME types and file extensions, both ways: the extension an inbound file of a type is saved
// with (WhatsApp media come without a name), and the type an outbound file is sent as.

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

/** Extensions with a type beyond the one each type above is saved with. */
const MORE_TYPES: Record<string, string> = {
  jpeg: "image/jpeg",
  svg: "image/svg+xml",
  webm: "video/webm",
  mov: "video/quicktime",
  wav: "audio/wav",
  htm: "text/html",
  xml: "application/xml",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  odt: "application/vnd.oasis.opendocument.text",
  ods: "application/vnd.oasis.opendocument.spreadsheet",
  gz: "application/gzip",
  tar: "application/x-tar",
  ics: "text/calendar",
};

const TYPES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(EXTENSIONS).map(([type, ext]) => [ext, type])),
  ...MORE_TYPES,
};

export function extensionFor(mimeType: string | null | undefined): string {
  const base = (mimeType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return EXTENSIONS[base] ?? "bin";
}

/** The type a file of this name is sent as; application/octet-stream when its extension is unknown. */
export function mimeTypeFor(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  const ext = dot > 0 ? fileName.slice(dot + 1).toLowerCase() : "";
  return TYPES[ext] ?? "application/octet-stream";
}

/** Images every platform and browser shows inline (not SVG: it is a document that can run script). */
export function isPlainImage(mimeType: string): boolean {
  return ["image/png", "image/jpeg", "image/gif", "image/webp"].includes(mimeType);
}
