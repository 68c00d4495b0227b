// Secrets the owner enters for MCP servers (tokens, API keys). Only the host reads them:
// they are filled into a server's headers, env or URL when the host connects, and never
// written to a group's files or shown whole again.
import { type Db, sql } from "./db.ts";

export function listSecretNames(db: Db): { name: string; updatedAt: number }[] {
  const rows = sql(
    db,
    "SELECT name, updated_at AS updatedAt FROM host_secrets ORDER BY name",
  ).all() as { name: string; updatedAt: number }[];
  return rows.map((row) => ({ ...row }));
}

/** Every secret by name, for resolving references (and for log redaction). */
export function allSecrets(db: Db): Map<string, string> {
  const rows = sql(db, "SELECT name, value FROM host_secrets").all() as {
    name: string;
    value: string;
  }[];
  return new Map(rows.map((row) => [row.name, row.value]));
}

export function setSecret(db: Db, name: string, value: string, now = Date.now()): void {
  sql(
    db,
    `INSERT INTO host_secrets (name, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(name, value, now);
}

/** True when there was such a secret. */
export function deleteSecret(db: Db, name: string): boolean {
  return sql(db, "DELETE FROM host_secrets WHERE name = ?").run(name).changes > 0;
}
