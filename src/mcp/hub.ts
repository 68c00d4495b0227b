// The host as MCP client. Pincer connects to each configured server itself (one connection
// per server and group, made when a group's agent starts and closed when idle), and offers
// its tools to that group's agent through an in-process SDK server named like the real
// one, so the agent sees mcp__<server>__<tool> but never a URL's token, a header or a
// stdio server's environment. Every forwarded call has a timeout and a result-size cap.
import { EventEmitter } from "node:events";
import type { McpSdkServerConfigWithInstance } from "@anthropic-ai/claude-agent-sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { registerSecret, type Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import { allSecrets } from "../store/host-secrets.ts";
import {
  countMcpCall,
  getMcpServer,
  listMcpServers,
  type McpServerRow,
} from "../store/mcp-servers.ts";
import { getMcpOAuth } from "../store/mcp-oauth.ts";
import { StoredOAuth } from "./oauth.ts";
import { mcpEntry, resolveEntry, type McpEntry, type StdioEntry } from "./config.ts";

/** How the host starts a group's stdio server: as which command, where, with what env. */
export interface StdioLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface StdioRunner {
  /** The command line that runs `entry` for the group `folder` (its own user, limits, home). */
  prepare(folder: string, entry: StdioEntry): Promise<StdioLaunch>;
  /** The group's last stdio server has stopped: nothing of its user may keep running. */
  stopped(folder: string): Promise<void>;
}

export interface McpHubOptions {
  db: Db;
  logger: Logger;
  stdio: StdioRunner;
  /** The folder whose user runs a stdio server tested outside any group (main's). */
  defaultFolder: () => string;
  callTimeoutMs: number;
  connectTimeoutMs: number;
  /** Largest tool result (characters of text) handed to the agent. */
  maxResultChars: number;
  /** A connection unused this long is closed (a stdio server's process stops). */
  idleMs: number;
}

export type ServerStatus = "connected" | "needs_sign_in" | "failing" | "not_connected";

export interface ServerState {
  status: ServerStatus;
  detail: string | null;
  tools: string[];
  at: number;
}

interface Live {
  key: string;
  name: string;
  folder: string;
  client: Client;
  tools: Tool[];
  stdio: boolean;
  idle: NodeJS.Timeout | undefined;
  closed: boolean;
}

/** What a session gets: a tool server per reachable MCP server, a line per missing one. */
export interface GroupServers {
  servers: Record<string, McpSdkServerConfigWithInstance>;
  notes: string[];
}

class ConnectError extends Error {
  readonly status: ServerStatus;
  constructor(status: ServerStatus, message: string) {
    super(message);
    this.status = status;
  }
}

const keyOf = (name: string, folder: string) => `${name}\0${folder}`;

export class McpHub extends EventEmitter<{
  /** These servers' configuration changed: groups (null = every group) should restart idle sessions. */
  changed: [folder: string | null];
}> {
  private readonly options: McpHubOptions;
  private readonly log: Logger;
  private readonly live = new Map<string, Promise<Live>>();
  private readonly states = new Map<string, ServerState>();
  /** Per folder: how many stdio servers of its user run. */
  private readonly stdioCount = new Map<string, number>();
  /** Per folder: the stopping of its MCP user's processes, under way. */
  private readonly reaping = new Map<string, Promise<void>>();

  constructor(options: McpHubOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ component: "mcp" });
  }

  /** The servers a group's agent gets now (active ones for it or for every group). */
  async forGroup(folder: string): Promise<GroupServers> {
    const rows = listMcpServers(this.options.db).filter(
      (row) => !row.pending && (row.group === null || row.group === folder),
    );
    const servers: GroupServers["servers"] = {};
    const notes: string[] = [];
    await Promise.all(
      rows.map(async (row) => {
        try {
          const live = await this.connection(row, folder);
          this.touch(live);
          servers[row.name] = this.agentServer(row, live);
        } catch (error) {
          notes.push(
            `The MCP server "${row.name}" is unavailable (${(error as Error).message}); its tools are missing for now.`,
          );
        }
      }),
    );
    return { servers, notes };
  }

  /** Connects afresh and lists the tools, without keeping the connection (the "test" button). */
  async test(name: string): Promise<{ tools: { name: string; description: string }[] }> {
    const row = getMcpServer(this.options.db, name);
    if (!row) throw new ConnectError("failing", `no MCP server "${name}"`);
    // Connecting would hand the owner's secrets to a server nobody approved yet.
    if (row.pending)
      throw new ConnectError("failing", `"${name}" waits for approval: approve it before testing`);
    const folder = row.group ?? this.options.defaultFolder();
    const live = await this.connect(row, folder, "test");
    try {
      return {
        tools: live.tools.map((tool) => ({
          name: tool.name,
          description: tool.description ?? "",
        })),
      };
    } finally {
      await this.close(live);
    }
  }

  /** The last known state of each server, by name. */
  state(name: string): ServerState {
    return this.states.get(name) ?? { status: "not_connected", detail: null, tools: [], at: 0 };
  }

  /**
   * A server was added, changed, approved or removed (or a secret it uses changed): its
   * connections close, and the groups it serves take the change at their next turn.
   */
  async changed(name: string, folders: (string | null)[]): Promise<void> {
    await Promise.all(
      [...this.live.entries()]
        .filter(([key]) => key.startsWith(`${name}\0`))
        .map(async ([key, pending]) => {
          this.live.delete(key);
          await pending.then((live) => this.close(live)).catch(() => undefined);
        }),
    );
    this.states.delete(name);
    for (const folder of new Set(folders)) this.emit("changed", folder);
  }

  /** Closes every connection made for the group `folder` (it is being unregistered). */
  async closeFolder(folder: string): Promise<void> {
    await Promise.all(
      [...this.live.entries()]
        .filter(([key]) => key.endsWith(`\0${folder}`))
        .map(async ([key, pending]) => {
          this.live.delete(key);
          await pending.then((live) => this.close(live)).catch(() => undefined);
        }),
    );
  }

  async closeAll(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    await Promise.all(
      all.map((pending) =>
        pending.then(
          (live) => this.close(live),
          () => undefined,
        ),
      ),
    );
  }

  private connection(row: McpServerRow, folder: string): Promise<Live> {
    const key = keyOf(row.name, folder);
    let pending = this.live.get(key);
    if (!pending) {
      pending = this.connect(row, folder, key);
      this.live.set(key, pending);
      // A failed connection is not kept: the next session tries again.
      pending.catch(() => {
        if (this.live.get(key) === pending) this.live.delete(key);
      });
    }
    return pending;
  }

  private async connect(row: McpServerRow, folder: string, key: string): Promise<Live> {
    const { options } = this;
    let transport: Transport;
    let stdio = false;
    try {
      const entry = resolveEntry(mcpEntry.parse(row.entry), allSecrets(options.db));
      registerEntrySecrets(entry);
      if (entry.type === "stdio") {
        // Counted before it starts, so a reaping of the user cannot begin meanwhile; and
        // a reaping under way ends before it starts, so it cannot kill the new process.
        await this.reaping.get(folder);
        this.stdioCount.set(folder, (this.stdioCount.get(folder) ?? 0) + 1);
        stdio = true;
        const launch = await options.stdio.prepare(folder, entry);
        transport = new StdioClientTransport({ ...launch, stderr: "pipe" });
      } else {
        const requestInit = { headers: entry.headers ?? {} };
        // Signed in with OAuth: the SDK sends the stored token and refreshes it on a 401.
        const authProvider = getMcpOAuth(options.db, row.name)?.tokens
          ? new StoredOAuth(options.db, row.name)
          : undefined;
        transport =
          entry.type === "http"
            ? new StreamableHTTPClientTransport(new URL(entry.url), { requestInit, authProvider })
            : new SSEClientTransport(new URL(entry.url), { requestInit, authProvider });
      }
    } catch (error) {
      if (stdio) await this.releaseStdio(folder);
      throw this.failed(row.name, new ConnectError("failing", (error as Error).message));
    }
    const client = new Client({ name: "pincer", version: "1.0.0" });
    const live: Live = {
      key,
      name: row.name,
      folder,
      client,
      tools: [],
      stdio,
      idle: undefined,
      closed: false,
    };
    if (transport instanceof StdioClientTransport)
      transport.stderr?.on("data", (chunk: Buffer) =>
        this.log.debug(
          { server: row.name, group: folder, stderr: chunk.toString("utf8").trimEnd() },
          "mcp server stderr",
        ),
      );
    // The server went away (a stdio process exited, a stream ended): reconnect next time.
    client.onclose = () => {
      if (this.live.get(key) !== undefined) void this.forget(live);
    };
    try {
      await client.connect(transport, { timeout: options.connectTimeoutMs });
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, {
          timeout: options.connectTimeoutMs,
        });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor && tools.length < 1_000);
      live.tools = tools;
    } catch (error) {
      await this.close(live);
      throw this.failed(row.name, classify(error));
    }
    this.states.set(row.name, {
      status: "connected",
      detail: null,
      tools: live.tools.map((tool) => tool.name),
      at: Date.now(),
    });
    this.log.info(
      { server: row.name, group: folder, tools: live.tools.length },
      "MCP server connected",
    );
    return live;
  }

  private failed(name: string, error: ConnectError): ConnectError {
    this.states.set(name, {
      status: error.status,
      detail: error.message,
      tools: [],
      at: Date.now(),
    });
    this.log.warn({ server: name, err: error.message }, "MCP server unavailable");
    return error;
  }

  private async forget(live: Live): Promise<void> {
    if (this.live.get(live.key) !== undefined) {
      const current = await this.live.get(live.key)!.catch(() => undefined);
      if (current === live) this.live.delete(live.key);
    }
    await this.close(live);
  }

  private async close(live: Live): Promise<void> {
    if (live.closed) return;
    live.closed = true;
    clearTimeout(live.idle);
    await live.client.close().catch(() => undefined);
    if (live.stdio) await this.releaseStdio(live.folder);
  }

  /** One stdio server of the group stopped; after the last, nothing of its user may run. */
  private async releaseStdio(folder: string): Promise<void> {
    const left = (this.stdioCount.get(folder) ?? 1) - 1;
    if (left > 0) {
      this.stdioCount.set(folder, left);
      return;
    }
    this.stdioCount.delete(folder);
    const reap = this.options.stdio
      .stopped(folder)
      .catch((error: unknown) =>
        this.log.error(
          { group: folder, err: (error as Error).message },
          "could not stop the MCP user's processes",
        ),
      );
    this.reaping.set(folder, reap);
    await reap;
    if (this.reaping.get(folder) === reap) this.reaping.delete(folder);
  }

  private touch(live: Live): void {
    clearTimeout(live.idle);
    live.idle = setTimeout(() => void this.forget(live), this.options.idleMs);
    live.idle.unref();
  }

  /** The in-process server that offers one MCP server's allowed tools to one session. */
  private agentServer(row: McpServerRow, first: Live): McpSdkServerConfigWithInstance {
    const tools = offeredTools(first.tools, row.allowedTools);
    const names = new Set(tools.map((tool) => tool.name));
    const instance = new McpServer(
      { name: row.name, version: "1.0.0" },
      { capabilities: { tools: {} } },
    );
    instance.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
    instance.server.setRequestHandler(CallToolRequestSchema, async (request) => {
      if (!names.has(request.params.name))
        return errorResult(`The MCP server "${row.name}" offers no tool "${request.params.name}".`);
      return this.call(row, first.folder, request.params.name, request.params.arguments ?? {});
    });
    return { type: "sdk", name: row.name, instance };
  }

  private async call(
    row: McpServerRow,
    folder: string,
    tool: string,
    args: Record<string, unknown>,
  ): Promise<CallToolResult> {
    const { options } = this;
    let failed = true;
    try {
      const live = await this.connection(row, folder);
      this.touch(live);
      const result = (await live.client.callTool({ name: tool, arguments: args }, undefined, {
        timeout: options.callTimeoutMs,
      })) as CallToolResult;
      this.touch(live);
      failed = result.isError === true;
      return capResult(result, options.maxResultChars);
    } catch (error) {
      return errorResult(`The MCP server "${row.name}" failed: ${classify(error).message}`);
    } finally {
      countMcpCall(options.db, row.name, failed);
    }
  }
}

/** What a tool name may be: the model API refuses a whole request over one bad name. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_DESCRIPTION_CHARS = 2_000;
const MAX_SCHEMA_CHARS = 20_000;

/**
 * The tools of a server an agent is offered: those on the allow-list (null = all) whose
 * name the model API takes and whose schema is of sane size, descriptions cut short. A
 * server's odd tool must not break the agent's every request, nor fill its context.
 */
export function offeredTools(tools: Tool[], allowed: string[] | null): Tool[] {
  return tools
    .filter((tool) => allowed === null || allowed.includes(tool.name))
    .filter(
      (tool) =>
        TOOL_NAME.test(tool.name) && JSON.stringify(tool.inputSchema).length <= MAX_SCHEMA_CHARS,
    )
    .map((tool) => ({
      name: tool.name,
      ...(tool.title ? { title: tool.title } : {}),
      description: (tool.description ?? "").slice(0, MAX_DESCRIPTION_CHARS),
      inputSchema: tool.inputSchema,
      ...(tool.annotations ? { annotations: tool.annotations } : {}),
    }));
}

function errorResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

function classify(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const message = (error as Error).message ?? String(error);
  const code = (error as { code?: unknown }).code;
  if (error instanceof UnauthorizedError || code === 401 || /\b401\b/.test(message))
    return new ConnectError(
      "needs_sign_in",
      "the server refused the credentials (401): sign in with Connect on the MCP page, or check its headers and secrets",
    );
  if (/timed out|timeout/i.test(message))
    return new ConnectError("failing", "it did not answer in time");
  return new ConnectError("failing", message);
}

/**
 * The result with its text cut to `max` characters in all; other content (images,
 * resources) counts by its JSON size and is dropped once the budget is spent.
 */
export function capResult(result: CallToolResult, max: number): CallToolResult {
  let left = max;
  let cut = false;
  const content: CallToolResult["content"] = [];
  for (const block of result.content ?? []) {
    const size = block.type === "text" ? block.text.length : JSON.stringify(block).length;
    if (size <= left) {
      content.push(block);
      left -= size;
      continue;
    }
    cut = true;
    if (block.type === "text" && left > 0)
      content.push({ ...block, text: block.text.slice(0, left) });
    left = 0;
  }
  if (cut)
    content.push({
      type: "text",
      text: `[The result was cut: it is larger than ${max} characters.]`,
    });
  return { content, ...(result.isError ? { isError: true } : {}) };
}

/** Every header and env value of a resolved entry is masked in the logs. */
function registerEntrySecrets(entry: McpEntry): void {
  const values =
    entry.type === "stdio" ? Object.values(entry.env ?? {}) : Object.values(entry.headers ?? {});
  for (const value of values) {
    registerSecret(value);
    // "Bearer <token>": the token alone may be logged by a library too.
    registerSecret(value.split(" ").at(-1));
  }
}
