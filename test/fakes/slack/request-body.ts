// Decodes a Web API request the way Slack does: form-encoded, JSON or multipart bodies,
// with the token either in the Authorization header or as a `token` parameter.
import type { IncomingMessage } from "node:http";

export type ApiParams = Record<string, string | Uint8Array>;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function stringify(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export async function parseParams(contentType: string, raw: Buffer): Promise<ApiParams> {
  const params: ApiParams = {};
  if (contentType.includes("application/json")) {
    const body =
      raw.length > 0 ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : {};
    for (const [key, value] of Object.entries(body)) {
      if (value !== undefined && value !== null) params[key] = stringify(value);
    }
    return params;
  }
  if (contentType.includes("multipart/form-data")) {
    const form = await new Response(new Uint8Array(raw), {
      headers: { "content-type": contentType },
    }).formData();
    for (const [key, value] of form.entries()) {
      params[key] = typeof value === "string" ? value : new Uint8Array(await value.arrayBuffer());
    }
    return params;
  }
  for (const [key, value] of new URLSearchParams(raw.toString("utf8"))) params[key] = value;
  return params;
}

export function bearerToken(req: IncomingMessage, params: ApiParams): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length);
  const token = params.token;
  return typeof token === "string" ? token : undefined;
}
