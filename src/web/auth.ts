// Who may use the admin UI and API: whoever holds the admin token, either as a Bearer
// header (the CLI, scripts) or as the session cookie that logging in with it sets (pages).
// Wrong guesses are limited per client (login-limit.ts); cookie writes need the CSRF token
// (see csrf.ts); logging out revokes the session, not only the browser's copy of it.
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { TokenFromEnvironmentError, type AdminToken } from "./admin-token.ts";
import { csrfProblem, isWrite, sameSite } from "./csrf.ts";
import { readJsonBody } from "./json-body.ts";
import { limitBody } from "./body-limit.ts";
import { clientAddress, type LoginLimiter } from "./login-limit.ts";
import {
  csrfToken,
  issueSession,
  SESSION_COOKIE,
  SESSION_MAX_AGE_SECONDS,
  sessionExpiresAt,
  verifySession,
  type Session,
} from "./session.ts";
import type { Db } from "../store/db.ts";
import { isSessionRevoked, revokeSession } from "../store/revoked-sessions.ts";

export interface AuthDeps {
  token: AdminToken;
  db: Db;
  limiter: LoginLimiter;
  /** Proxies in front of the service that append to X-Forwarded-For (TRUST_PROXY). */
  trustProxy: number;
}

// A token pasted from a terminal or a password manager often brings a space or a line break.
const loginBody = z.object({ token: z.string().trim().min(1).max(512) }).strict();

/** The request's valid browser session, if it has one and it has not logged out. */
export function sessionOf(c: Context, token: AdminToken, db: Db): Session | undefined {
  const value = getCookie(c, SESSION_COOKIE);
  const session = value === undefined ? undefined : verifySession(token.value, value, Date.now());
  return session && !isSessionRevoked(db, session.nonce) ? session : undefined;
}

function startSession(c: Context, token: AdminToken): string {
  const value = issueSession(token.value, Date.now());
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: "Strict",
    secure:
      c.req.header("x-forwarded-proto") === "https" || new URL(c.req.url).protocol === "https:",
    path: "/",
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
  return csrfToken(token.value, verifySession(token.value, value, Date.now())!);
}

function tooManyAttempts(c: Context, seconds: number) {
  c.header("Retry-After", String(seconds));
  return c.json({ error: `too many wrong admin tokens: try again in ${seconds} s` }, 429);
}

/** Guards everything under /api/ except logging in. */
export function apiGuard(deps: AuthDeps): MiddlewareHandler {
  const { token, db, limiter, trustProxy } = deps;
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header !== undefined) {
      const client = clientAddress(c, trustProxy);
      const wait = limiter.retryAfter(client, Date.now());
      if (wait > 0) return tooManyAttempts(c, wait);
      const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? "";
      if (!token.matches(presented)) {
        limiter.failed(client, Date.now());
        return c.json({ error: "wrong admin token" }, 401);
      }
      return next();
    }
    const session = sessionOf(c, token, db);
    if (!session)
      return c.json(
        { error: "missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)" },
        401,
      );
    if (isWrite(c)) {
      const problem = csrfProblem(c, csrfToken(token.value, session));
      if (problem) return c.json({ error: problem }, 403);
    }
    return next();
  };
}

/** POST /api/login: mount it before apiGuard. */
export function loginRoutes(deps: AuthDeps) {
  const { token, limiter, trustProxy } = deps;
  return new Hono().post("/api/login", limitBody(4096, "body too large"), async (c) => {
    if (!sameSite(c)) return c.json({ error: "cross-site request refused" }, 403);
    const client = clientAddress(c, trustProxy);
    const wait = limiter.retryAfter(client, Date.now());
    if (wait > 0) return tooManyAttempts(c, wait);
    const body = await readJsonBody(c, loginBody);
    if ("error" in body) return c.json({ error: body.error }, body.status);
    if (!token.matches(body.value.token)) {
      limiter.failed(client, Date.now());
      return c.json({ error: "wrong admin token" }, 401);
    }
    limiter.succeeded(client);
    return c.json({ ok: true, csrf: startSession(c, token) });
  });
}

/** POST /api/logout and /api/token/rotate, behind apiGuard. */
export function sessionRoutes(deps: AuthDeps) {
  const { token, db } = deps;
  return new Hono()
    .post("/api/logout", (c) => {
      // A copy of the cookie (another browser, a stolen one) ends with it.
      const session = sessionOf(c, token, db);
      if (session) revokeSession(db, session.nonce, sessionExpiresAt(session), Date.now());
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.json({ ok: true });
    })
    .post("/api/token/rotate", (c) => {
      const byCookie = c.req.header("authorization") === undefined;
      try {
        const fresh = token.rotate();
        // The browser that asked stays logged in; every other session ends with the old token.
        const csrf = byCookie ? startSession(c, token) : undefined;
        return c.json({ token: fresh, ...(csrf ? { csrf } : {}) });
      } catch (error) {
        if (error instanceof TokenFromEnvironmentError)
          return c.json({ error: error.message }, 409);
        throw error;
      }
    });
}
