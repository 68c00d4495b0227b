// A lenient multipart/form-data reader. grammY writes headers without spaces and leaves
// filenames unquoted (`content-disposition:form-data;name="x";filename=a.txt`), which
// undici's strict FormData parser rejects, while the real Bot API accepts it.

export interface UploadedFile {
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

export interface MultipartBody {
  fields: Map<string, string>;
  files: Map<string, UploadedFile>;
}

function parseDisposition(header: string): { name: string; fileName?: string } {
  const name = /name="([^"]*)"/i.exec(header)?.[1] ?? /name=([^;]*)/i.exec(header)?.[1] ?? "";
  const rawFile = /filename=(.*)$/i.exec(header)?.[1]?.trim();
  if (rawFile === undefined) return { name };
  const fileName =
    rawFile.startsWith('"') && rawFile.endsWith('"') ? rawFile.slice(1, -1) : rawFile;
  return { name, fileName };
}

export function parseMultipart(body: Buffer, contentType: string): MultipartBody {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new Error("multipart body without boundary");
  const delimiter = Buffer.from(`--${marker}`);
  const fields = new Map<string, string>();
  const files = new Map<string, UploadedFile>();
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    // A part is CRLF, headers, CRLF CRLF, content, CRLF before the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf("\r\n\r\n");
    const headers = part.subarray(0, headerEnd).toString("utf8").split("\r\n");
    const content = part.subarray(headerEnd + 4);
    let disposition = { name: "" } as { name: string; fileName?: string };
    let mimeType = "application/octet-stream";
    for (const line of headers) {
      const colon = line.indexOf(":");
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === "content-disposition") disposition = parseDisposition(value);
      if (key === "content-type") mimeType = value;
    }
    if (disposition.fileName === undefined) fields.set(disposition.name, content.toString("utf8"));
    else
      files.set(disposition.name, {
        fileName: disposition.fileName,
        mimeType,
        bytes: new Uint8Array(content),
      });
    at = next;
  }
  return { fields, files };
}
