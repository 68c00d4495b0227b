// The admin token guards the web UI and API. It comes from ADMIN_TOKEN or, when that is
// unset, is generated at first start and kept in DATA_DIR/admin-token (mode 0600).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function adminTokenFile(dataDir: string): string {
  return join(dataDir, "admin-token");
}

export function loadAdminToken(
  dataDir: string,
  configured: string | undefined,
): { token: string; generated: boolean } {
  if (configured) return { token: configured, generated: false };
  const file = adminTokenFile(dataDir);
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), generated: false };
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The session cookie's value: derived from the token, so rotating the token logs everyone out. */
export function sessionCookieValue(token: string): string {
  return createHmac("sha256", token).update("pincer-web-session-v1").digest("base64url");
}
