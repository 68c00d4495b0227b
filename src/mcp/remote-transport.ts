// How the host reaches an HTTP or SSE MCP server: with the entry's headers, and signed in
// with OAuth when the owner did (the SDK sends the stored token and refreshes it on a 401).
// Every header and env value of a resolved entry is masked in the logs.
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { registerSecret } from "../log.ts";
import type { Db } from "../store/db.ts";
import { getMcpOAuth } from "../store/mcp-oauth.ts";
import type { McpEntry } from "./config.ts";
import { StoredOAuth } from "./oauth.ts";

export function remoteTransport(
  db: Db,
  name: string,
  entry: Exclude<McpEntry, { type: "stdio" }>,
): Transport {
  const requestInit = { headers: entry.headers ?? {} };
  const authProvider = getMcpOAuth(db, name)?.tokens ? new StoredOAuth(db, name) : undefined;
  return entry.type === "http"
    ? new StreamableHTTPClientTransport(new URL(entry.url), { requestInit, authProvider })
    : new SSEClientTransport(new URL(entry.url), { requestInit, authProvider });
}

/** Masks the entry's header or env values (and a "Bearer <token>"'s token alone) in the logs. */
export function registerEntrySecrets(entry: McpEntry): void {
  const values =
    entry.type === "stdio" ? Object.values(entry.env ?? {}) : Object.values(entry.headers ?? {});
  for (const value of values) {
    registerSecret(value);
    // "Bearer <token>": the token alone may be logged by a library too.
    registerSecret(value.split(" ").at(-1));
  }
}
