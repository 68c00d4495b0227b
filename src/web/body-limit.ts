// Refuses request bodies over a size with a 413 that names the limit. The body is read
// to the end first (up to a hard cap) so the client sees the answer instead of a reset
// connection, which is what an early reply mid-upload turns into.
import type { MiddlewareHandler } from "hono";

const DRAIN_CAP = 64 * 1024 * 1024;

export function limitBody(maxBytes: number, message: string): MiddlewareHandler {
  return async (c, next) => {
    const declared = Number(c.req.header("content-length") ?? NaN);
    if (Number.isFinite(declared) && declared <= maxBytes) return next();
    const body = c.req.raw.body;
    if (!body) return next();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > DRAIN_CAP) break;
      if (total <= maxBytes) chunks.push(chunk);
    }
    if (total > maxBytes) return c.json({ error: message }, 413);
    // A chunked body within the limit: hand the bytes on to the route.
    c.req.raw = new Request(c.req.raw, {
      body: Buffer.concat(chunks),
      duplex: "half",
    } as RequestInit);
    return next();
  };
}
