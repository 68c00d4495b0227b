// Cross-site request forgery defence for cookie sessions. Every write must carry the
// session's token in the X-Pincer-CSRF header (a cross-site page can neither read the token
// nor set a custom header without a CORS preflight, which this server never grants), and
// a request that says where it came from must come from this site. Bearer-token clients
// (the CLI) need neither: a browser never attaches that header on its own.
import type { Context } from "hono";
import { safeEqual } from "../secrets.ts";

export const CSRF_HEADER = "x-pincer-csrf";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isWrite(c: Context): boolean {
  return !SAFE_METHODS.has(c.req.method);
}

/** False when the browser says the request was started by another site. */
export function sameSite(c: Context): boolean {
  if (c.req.header("sec-fetch-site") === "cross-site") return false;
  const origin = c.req.header("origin");
  if (origin === undefined) return true;
  const host = c.req.header("x-forwarded-host") ?? c.req.header("host");
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export function csrfProblem(c: Context, expected: string): string | undefined {
  if (!sameSite(c)) return "cross-site request refused";
  const given = c.req.header(CSRF_HEADER);
  if (!given) return `missing CSRF token: send the ${CSRF_HEADER} header`;
  if (!safeEqual(given, expected)) return "wrong CSRF token: reload the page";
  return undefined;
}
