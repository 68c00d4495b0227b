// /assets/*: the pages' stylesheet, scripts and icon, read once at start (no CDN, no build).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono, type Context } from "hono";

const DIR = fileURLToPath(new URL("./assets", import.meta.url));
const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};

export function assetRoutes(): Hono {
  const assets = new Map<string, { body: string; type: string; etag: string }>();
  for (const name of readdirSync(DIR)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(DIR, name), "utf8");
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
    assets.set(name, { body, type, etag });
  }
  const serve = (c: Context, name: string) => {
    const asset = assets.get(name);
    if (!asset) return c.json({ error: "no such asset" }, 404);
    c.header("ETag", asset.etag);
    c.header("Cache-Control", "no-cache");
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
    return c.body(asset.body, 200, { "content-type": asset.type });
  };
  return (
    new Hono()
      .get("/assets/:name", (c) => serve(c, c.req.param("name")))
      // Browsers ask for /favicon.ico by themselves; every current one takes an SVG there.
      .get("/favicon.ico", (c) => serve(c, "favicon.svg"))
  );
}
