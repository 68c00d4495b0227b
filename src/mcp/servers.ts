// Adding, changing, approving and removing MCP servers, shared by the JSON API, the CLI
// (through it) and the main agent's add_mcp_server tool; and how a server is shown (its
// secrets never are).
import type { Db } from "../store/db.ts";
import { getGroupByFolder } from "../store/groups.ts";
import { allSecrets, listSecretNames } from "../store/host-secrets.ts";
import {
  getMcpServer,
  insertMcpServer,
  listMcpServers,
  updateMcpServer,
  type McpServerRow,
} from "../store/mcp-servers.ts";
import {
  entryProblem,
  maskSecret,
  mcpEntry,
  referencedSecrets,
  type McpEntry,
  type NewServer,
  type ServerChange,
} from "./config.ts";
import type { McpHub } from "./hub.ts";

export type Outcome = { row: McpServerRow } | { error: string; status: 400 | 404 | 409 };

const SEARCH_PATH = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";

function groupProblem(db: Db, group: string | null | undefined): string | undefined {
  if (group === null || group === undefined) return undefined;
  return getGroupByFolder(db, group) ? undefined : `no registered group has the folder "${group}"`;
}

/** Files a new server; a pending one (an agent's request) does nothing until approved. */
export function addServer(db: Db, input: NewServer, pending: boolean): Outcome {
  const problem = groupProblem(db, input.group) ?? entryProblem(input.entry, SEARCH_PATH);
  if (problem) return { error: problem, status: 400 };
  const inserted = insertMcpServer(db, {
    name: input.name,
    group: input.group ?? null,
    entry: input.entry,
    allowedTools: input.allowedTools ?? null,
    pending,
  });
  if (!inserted)
    return { error: `an MCP server named "${input.name}" already exists`, status: 409 };
  return { row: getMcpServer(db, input.name)! };
}

/**
 * The entry a change asks for, not yet validated: its fields merged over the stored entry,
 * or only its own when it changes the type. A header or env value sent back exactly as it
 * is shown masked keeps the stored value: editing a shown entry does not wipe its secrets.
 */
export function mergedEntry(row: McpServerRow, change: ServerChange): unknown {
  const { group: _group, allowedTools: _allowed, ...fields } = change;
  const stored = row.entry as Record<string, unknown>;
  if (fields.type !== undefined && fields.type !== stored.type) return fields;
  const unmask = (key: "headers" | "env") => {
    const sent = fields[key];
    const kept = stored[key] as Record<string, string> | undefined;
    if (!sent || !kept) return sent;
    return Object.fromEntries(
      Object.entries(sent).map(([name, value]) => [
        name,
        kept[name] !== undefined && value === maskSecret(kept[name]) ? kept[name] : value,
      ]),
    );
  };
  const merged: Record<string, unknown> = { ...stored, ...fields };
  if (fields.headers) merged.headers = unmask("headers");
  if (fields.env) merged.env = unmask("env");
  return merged;
}

/** Stores a change whose entry is already validated (see mergedEntry). */
export function changeServer(
  db: Db,
  row: McpServerRow,
  change: Pick<ServerChange, "group" | "allowedTools">,
  entry: McpEntry,
): Outcome {
  const problem = groupProblem(db, change.group) ?? entryProblem(entry, SEARCH_PATH);
  if (problem) return { error: problem, status: 400 };
  updateMcpServer(db, row.name, {
    group: change.group === undefined ? row.group : change.group,
    entry,
    allowedTools: change.allowedTools === undefined ? row.allowedTools : change.allowedTools,
    pending: row.pending,
  });
  return { row: getMcpServer(db, row.name)! };
}

export function approveServer(db: Db, name: string): Outcome {
  const row = getMcpServer(db, name);
  if (!row) return { error: `no MCP server "${name}"`, status: 404 };
  if (!row.pending)
    return { error: `the MCP server "${name}" is not waiting for approval`, status: 409 };
  updateMcpServer(db, name, { ...row, pending: false });
  return { row: getMcpServer(db, name)! };
}

/** A value with no secret reference in it is shown masked: it may be a token typed in. */
function maskValues(map: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!map) return undefined;
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => [
      key,
      /\$\{[A-Z0-9_]+\}/.test(value) ? value : maskSecret(value),
    ]),
  );
}

function shownEntry(entry: McpEntry): McpEntry {
  if (entry.type === "stdio") return { ...entry, env: maskValues(entry.env) };
  return { ...entry, headers: maskValues(entry.headers) };
}

/** A server as the API, CLI and admin page show it. */
export function serverView(db: Db, hub: McpHub, row: McpServerRow) {
  const parsed = mcpEntry.safeParse(row.entry);
  const entry = parsed.success ? parsed.data : undefined;
  const secrets = entry ? referencedSecrets(entry) : [];
  const known = allSecrets(db);
  const state = row.pending
    ? { status: "pending_approval" as const, detail: "waiting for the owner's approval", tools: [] }
    : hub.state(row.name);
  return {
    name: row.name,
    group: row.group,
    pending: row.pending,
    entry: entry ? shownEntry(entry) : null,
    allowedTools: row.allowedTools,
    secrets,
    missingSecrets: secrets.filter((name) => !known.has(name)),
    calls: row.calls,
    failedCalls: row.failedCalls,
    status: state.status,
    detail: state.detail,
    tools: state.tools,
  };
}

/** The servers whose entries refer to the secret `name`. */
export function serversUsing(db: Db, name: string): McpServerRow[] {
  return listMcpServers(db).filter((row) => {
    const entry = mcpEntry.safeParse(row.entry);
    return entry.success && referencedSecrets(entry.data).includes(name);
  });
}

/** The secrets as they may be shown: masked, with the servers that use each. */
export function secretViews(db: Db) {
  const values = allSecrets(db);
  return listSecretNames(db).map((secret) => ({
    name: secret.name,
    value: maskSecret(values.get(secret.name) ?? ""),
    updatedAt: secret.updatedAt,
    usedBy: serversUsing(db, secret.name).map((row) => row.name),
  }));
}

const APPROVE = /^\/approve\s+(\S+)\s*$/i;

/**
 * The owner's "/approve <server>" in the main chat, answered by the host: the reply, or
 * undefined for any other text.
 */
export function approvalCommand(db: Db, hub: McpHub): (text: string) => string | undefined {
  return (text) => {
    const name = APPROVE.exec(text.trim())?.[1];
    if (name === undefined) return undefined;
    const outcome = approveServer(db, name);
    if ("error" in outcome) return `Not approved: ${outcome.error}.`;
    void hub.changed(name, [outcome.row.group]);
    return `Approved the MCP server "${name}": its tools reach ${outcome.row.group ?? "every group"} from the next message.`;
  };
}
