// The host as MCP client. Pincer connects to each configured server itself (one connection
// per server and group, made when a group's agent starts and closed when idle), and offers
// its tools to that group's agent through an in-process SDK server named like the real
// one, so the agent sees mcp__<server>__<tool> but never a URL's token, a header or a
// stdio server's environment. Every forwarded call has a timeout and a result-size cap.
import { EventEmitter } from "node:events";
import type { McpSdkServerConfigWithInstance } from "@anthropic-ai/claude-agent-sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import { allSecrets } from "../store/host-secrets.ts";
import {
  countMcpCall,
  getMcpServer,
  listMcpServers,
  type McpServerRow,
} from "../store/mcp-servers.ts";
import { mcpEntry, resolveEntry } from "./config.ts";
import { classify, ConnectError, type ServerStatus } from "./connect-errors.ts";
import { capResult, errorResult, offeredTools } from "./offered.ts";
import { registerEntrySecrets, remoteTransport } from "./remote-transport.ts";
import { StdioServers, type StdioRunner } from "./stdio-servers.ts";

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

const keyOf = (name: string, folder: string) => `${name}\0${folder}`;

export class McpHub extends EventEmitter<{
  /** These servers' configuration changed: groups (null = every group) should restart idle sessions. */
  changed: [folder: string | null];
}> {
  private readonly options: McpHubOptions;
  private readonly log: Logger;
  private readonly live = new Map<string, Promise<Live>>();
  private readonly states = new Map<string, ServerState>();
  private readonly stdio: StdioServers;

  constructor(options: McpHubOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ component: "mcp" });
    this.stdio = new StdioServers(options.stdio, this.log);
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
        // Counted before it starts (see StdioServers).
        await this.stdio.starting(folder);
        stdio = true;
        const launch = await options.stdio.prepare(folder, entry);
        transport = new StdioClientTransport({ ...launch, stderr: "pipe" });
      } else transport = remoteTransport(options.db, row.name, entry);
    } catch (error) {
      if (stdio) await this.stdio.stopped(folder);
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
    if (live.stdio) await this.stdio.stopped(live.folder);
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
