// Browser sessions: the cookie carries when it was issued and a random nonce, signed with
// the admin token. Rotating the token therefore ends every session, and a restart ends
// none; logging out ends one, by keeping its nonce in the store until it would have
// expired (store/revoked-sessions.ts). The CSRF token is derived from the same nonce.
import { createHmac, randomBytes } from "node:crypto";
import { safeEqual } from "../secrets.ts";

export const SESSION_COOKIE = "pincer_session";
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 3600;

export interface Session {
  nonce: string;
  issuedAt: number;
}

function sign(key: string, purpose: string, text: string): string {
  return createHmac("sha256", key).update(`${purpose}:${text}`).digest("base64url");
}

/** A new session's cookie value. */
export function issueSession(key: string, now: number): string {
  const body = `v1.${now.toString(36)}.${randomBytes(16).toString("base64url")}`;
  return `${body}.${sign(key, "session", body)}`;
}

export function verifySession(key: string, value: string, now: number): Session | undefined {
  const parts = value.split(".");
  if (parts.length !== 4 || parts[0] !== "v1") return undefined;
  const body = parts.slice(0, 3).join(".");
  if (!safeEqual(parts[3]!, sign(key, "session", body))) return undefined;
  const session = { nonce: parts[2]!, issuedAt: parseInt(parts[1]!, 36) };
  if (!Number.isFinite(session.issuedAt) || now >= sessionExpiresAt(session)) return undefined;
  return session;
}

/** When the session's cookie stops being accepted. */
export function sessionExpiresAt(session: Session): number {
  return session.issuedAt + SESSION_MAX_AGE_SECONDS * 1000;
}

/** The value a page must send in X-Pincer-CSRF with every write in this session. */
export function csrfToken(key: string, session: Session): string {
  return sign(key, "csrf", session.nonce);
}
