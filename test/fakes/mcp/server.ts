// Loopback MCP servers written with the MCP SDK's server side: a streamable-HTTP one that
// wants a bearer token, and (stdio-server.ts) one the host starts as a process.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface HttpMcpFake {
  url: string;
  /** Every tool call, by tool name and arguments. */
  calls: { tool: string; args: unknown }[];
  /** Requests refused for a wrong or missing token. */
  refused: number;
  /** Every request that got in. */
  requests: number;
  close(): Promise<void>;
}

/** The fake's tools; `big` answers with `size` characters, to test the host's result cap. */
export function notesServer(calls: HttpMcpFake["calls"]): McpServer {
  const server = new McpServer({ name: "notes-fake", version: "1.0.0" });
  server.registerTool(
    "lookup",
    { description: "Looks a note up by its title", inputSchema: { title: z.string() } },
    ({ title }) => {
      calls.push({ tool: "lookup", args: { title } });
      return { content: [{ type: "text", text: `note "${title}": buy oat milk` }] };
    },
  );
  server.registerTool(
    "big",
    { description: "Answers with a long text", inputSchema: { size: z.number().int() } },
    ({ size }) => {
      calls.push({ tool: "big", args: { size } });
      return { content: [{ type: "text", text: "x".repeat(size) }] };
    },
  );
  server.registerTool("hidden", { description: "Not on the allow-list" }, () => {
    calls.push({ tool: "hidden", args: {} });
    return { content: [{ type: "text", text: "hidden tool ran" }] };
  });
  return server;
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** A stateless streamable-HTTP MCP server at /mcp that answers only `Bearer <token>`. */
export async function startHttpMcpFake(token: string): Promise<HttpMcpFake> {
  const calls: HttpMcpFake["calls"] = [];
  const fake = { refused: 0, requests: 0 };
  const http = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        fake.refused++;
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "invalid_token" }));
        return;
      }
      fake.requests++;
      const server = notesServer(calls);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.method === "POST" ? await body(req) : undefined);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    get refused() {
      return fake.refused;
    },
    get requests() {
      return fake.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** The older HTTP+SSE transport: GET /sse opens the stream, POST /messages carries calls. */
export async function startSseMcpFake(token: string): Promise<HttpMcpFake> {
  const calls: HttpMcpFake["calls"] = [];
  const fake = { refused: 0, requests: 0 };
  const sessions = new Map<string, SSEServerTransport>();
  const http = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        fake.refused++;
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "invalid_token" }));
        return;
      }
      fake.requests++;
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (req.method === "GET" && url.pathname === "/sse") {
        const transport = new SSEServerTransport("/messages", res);
        sessions.set(transport.sessionId, transport);
        res.on("close", () => sessions.delete(transport.sessionId));
        await notesServer(calls).connect(transport);
        return;
      }
      const transport = sessions.get(url.searchParams.get("sessionId") ?? "");
      if (req.method !== "POST" || !transport) {
        res.writeHead(404);
        res.end();
        return;
      }
      await transport.handlePostMessage(req, res, await body(req));
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    calls,
    get refused() {
      return fake.refused;
    },
    get requests() {
      return fake.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
