// Fetches an attachment from Discord's CDN without ever holding more than the cap in
// memory: the announced size is checked first, the received bytes are counted as well.

const DOWNLOAD_TIMEOUT_MS = 60_000;

export class AttachmentTooLargeError extends Error {
  constructor(fileName: string, maxBytes: number) {
    super(`attachment ${fileName} is larger than the ${maxBytes}-byte limit`);
    this.name = "AttachmentTooLargeError";
  }
}

export async function downloadCapped(
  url: string,
  fileName: string,
  maxBytes: number,
  announcedSize?: number,
): Promise<Uint8Array> {
  if (announcedSize !== undefined && announcedSize > maxBytes) {
    throw new AttachmentTooLargeError(fileName, maxBytes);
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  if (!response.ok || !response.body) {
    throw new Error(`downloading ${fileName} failed: HTTP ${response.status}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new AttachmentTooLargeError(fileName, maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
