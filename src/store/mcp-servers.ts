// The MCP servers the owner configured (or an agent asked for, pending approval), and how
// often each was called. The entry is kept as the JSON the owner gave; mcp/config.ts owns
// its shape.
import { type Db, sql } from "./db.ts";

export interface McpServerRow {
  name: string;
  /** The one group it serves, or null for every group. */
  group: string | null;
  entry: unknown;
  /** Tool names the agent may see; null = all of the server's tools. */
  allowedTools: string[] | null;
  pending: boolean;
  calls: number;
  failedCalls: number;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  name: string;
  group_folder: string | null;
  entry: string;
  allowed_tools: string | null;
  pending: number;
  calls: number;
  failed_calls: number;
  created_at: number;
  updated_at: number;
}

function fromRow(row: Row): McpServerRow {
  return {
    name: row.name,
    group: row.group_folder,
    entry: JSON.parse(row.entry) as unknown,
    allowedTools: row.allowed_tools === null ? null : (JSON.parse(row.allowed_tools) as string[]),
    pending: row.pending === 1,
    calls: row.calls,
    failedCalls: row.failed_calls,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function listMcpServers(db: Db): McpServerRow[] {
  return (sql(db, "SELECT * FROM mcp_servers ORDER BY name").all() as unknown as Row[]).map(
    fromRow,
  );
}

export function getMcpServer(db: Db, name: string): McpServerRow | undefined {
  const row = sql(db, "SELECT * FROM mcp_servers WHERE name = ?").get(name) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

export interface McpServerInput {
  name: string;
  group: string | null;
  entry: unknown;
  allowedTools: string[] | null;
  pending: boolean;
}

/** The stored form of an input's settings, in the column order both writes use. */
function settingColumns(
  input: Omit<McpServerInput, "name">,
): [string | null, string, string | null, number] {
  return [
    input.group,
    JSON.stringify(input.entry),
    input.allowedTools === null ? null : JSON.stringify(input.allowedTools),
    input.pending ? 1 : 0,
  ];
}

/** Inserts a server; false when the name is taken. */
export function insertMcpServer(db: Db, input: McpServerInput, now = Date.now()): boolean {
  const result = sql(
    db,
    `INSERT INTO mcp_servers (name, group_folder, entry, allowed_tools, pending, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
  ).run(input.name, ...settingColumns(input), now, now);
  return result.changes > 0;
}

export function updateMcpServer(
  db: Db,
  name: string,
  change: Omit<McpServerInput, "name">,
  now = Date.now(),
): void {
  sql(
    db,
    `UPDATE mcp_servers SET group_folder = ?, entry = ?, allowed_tools = ?, pending = ?, updated_at = ?
     WHERE name = ?`,
  ).run(...settingColumns(change), now, name);
}

export function deleteMcpServer(db: Db, name: string): boolean {
  return sql(db, "DELETE FROM mcp_servers WHERE name = ?").run(name).changes > 0;
}

/** Counts one forwarded tool call (and whether it failed). */
export function countMcpCall(db: Db, name: string, failed: boolean): void {
  sql(
    db,
    "UPDATE mcp_servers SET calls = calls + 1, failed_calls = failed_calls + ? WHERE name = ?",
  ).run(failed ? 1 : 0, name);
}
