// Browser sessions that logged out before their cookie expired (see web/session.ts).
import { type Db, sql } from "./db.ts";

/** Ends a session for good; rows of sessions that have expired anyway go at the same time. */
export function revokeSession(db: Db, nonce: string, expiresAt: number, now: number): void {
  sql(db, "DELETE FROM revoked_sessions WHERE expires_at <= ?").run(now);
  sql(db, "INSERT OR IGNORE INTO revoked_sessions (nonce, expires_at) VALUES (?, ?)").run(
    nonce,
    expiresAt,
  );
}

export function isSessionRevoked(db: Db, nonce: string): boolean {
  return sql(db, "SELECT 1 FROM revoked_sessions WHERE nonce = ?").get(nonce) !== undefined;
}
