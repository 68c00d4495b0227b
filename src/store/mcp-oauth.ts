// What OAuth sign-in to a remote MCP server keeps, host-side only: the redirect URL, the
// client registration, tokens, and the PKCE verifier and state of a sign-in under way.
import { type Db, sql } from "./db.ts";

export interface McpOAuthRow {
  server: string;
  redirectUrl: string;
  client: unknown;
  tokens: unknown;
  verifier: string | null;
  state: string | null;
}

interface Row {
  server: string;
  redirect_url: string;
  client: string | null;
  tokens: string | null;
  verifier: string | null;
  state: string | null;
}

const parse = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));

function fromRow(row: Row): McpOAuthRow {
  return {
    server: row.server,
    redirectUrl: row.redirect_url,
    client: parse(row.client),
    tokens: parse(row.tokens),
    verifier: row.verifier,
    state: row.state,
  };
}

export function getMcpOAuth(db: Db, server: string): McpOAuthRow | undefined {
  const row = sql(db, "SELECT * FROM mcp_oauth WHERE server = ?").get(server) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export function mcpOAuthByState(db: Db, state: string): McpOAuthRow | undefined {
  const row = sql(db, "SELECT * FROM mcp_oauth WHERE state = ?").get(state) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

/** Starts (or restarts) a sign-in: the row exists with this redirect URL. */
export function beginMcpOAuth(db: Db, server: string, redirectUrl: string, now = Date.now()) {
  sql(
    db,
    `INSERT INTO mcp_oauth (server, redirect_url, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (server) DO UPDATE SET redirect_url = excluded.redirect_url, updated_at = excluded.updated_at`,
  ).run(server, redirectUrl, now);
}

type Field = "client" | "tokens" | "verifier" | "state";

/** Sets one field (objects as JSON); null clears it. */
export function setMcpOAuth(
  db: Db,
  server: string,
  field: Field,
  value: unknown,
  now = Date.now(),
) {
  const text =
    value === null || value === undefined
      ? null
      : typeof value === "string" && (field === "verifier" || field === "state")
        ? value
        : JSON.stringify(value);
  // The column is one of four fixed names, never input.
  sql(db, `UPDATE mcp_oauth SET ${field} = ?, updated_at = ? WHERE server = ?`).run(
    text,
    now,
    server,
  );
}

export function deleteMcpOAuth(db: Db, server: string): void {
  sql(db, "DELETE FROM mcp_oauth WHERE server = ?").run(server);
}

/** Every stored token, for log masking at start. */
export function allMcpOAuthTokens(db: Db): string[] {
  const rows = sql(db, "SELECT tokens FROM mcp_oauth WHERE tokens IS NOT NULL").all() as {
    tokens: string;
  }[];
  return rows.flatMap((row) => {
    const tokens = JSON.parse(row.tokens) as { access_token?: string; refresh_token?: string };
    return [tokens.access_token, tokens.refresh_token].filter((t): t is string => Boolean(t));
  });
}
