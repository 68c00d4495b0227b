// The baseline: one warm query() with streaming input behind the smallest HTTP endpoint
// that speaks the web chat's wire shape (POST /api/chat/messages → 202 {id}, replies as
// `message` events on GET /api/chat/events), so the very same client measures Pincer and
// this loop. No store, no queue, no proxy, no auth: what is left is the SDK and the CLI.
//
// Environment: BENCH_MODEL_URL (the fake model), BENCH_WORK_DIR (cwd and HOME of the agent),
// BENCH_BARE_EXTRA_TOOLS (a number of MCP tools to offer besides the CLI's own, default 0).
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createSdkMcpServer,
  query,
  tool,
  type McpSdkServerConfigWithInstance,
  type Query,
  type SDKUserMessage,
} from "@anthropic-ai/claude-agent-sdk";
import { z } from "zod";
import { agentEnvironment } from "../src/agent/environment.ts";
import { DISALLOWED_TOOLS } from "../src/agent/session.ts";

const modelUrl = process.env.BENCH_MODEL_URL;
const workDir = process.env.BENCH_WORK_DIR;
if (!modelUrl || !workDir) throw new Error("BENCH_MODEL_URL and BENCH_WORK_DIR are required");

const inbox: SDKUserMessage[] = [];
let wakeInput: (() => void) | undefined;
let running: Query | undefined;
let nextId = 0;
const listeners = new Set<ServerResponse>();

async function* input(): AsyncGenerator<SDKUserMessage> {
  for (;;) {
    const next = inbox.shift();
    if (next) {
      yield next;
      continue;
    }
    await new Promise<void>((resolve) => (wakeInput = resolve));
    wakeInput = undefined;
  }
}

// Tools the size of Pincer's own (about 1 KB of schema and description each), never called:
// with as many as Pincer offers, the bare loop's requests are as big as Pincer's, which
// tells what the offered tools alone cost the CLI per turn (bench/README.md).
function extraTools(count: number): Record<string, McpSdkServerConfigWithInstance> {
  if (count === 0) return {};
  const tools = Array.from({ length: count }, (_, index) =>
    tool(
      `extra_tool_${index}`,
      "A tool that does something for the chat when asked, described in a sentence or two so the model knows when to use it and what it returns to the caller afterwards.",
      {
        first: z.string().min(1).max(500).describe("What the tool needs first, e.g. a name"),
        second: z.string().optional().describe("An optional second thing, e.g. a group's folder"),
        third: z.number().int().min(1).max(50).optional().describe("How many, default 10"),
      },
      async () => ({ content: [{ type: "text" as const, text: "ok" }] }),
    ),
  );
  return { extra: createSdkMcpServer({ name: "extra", version: "1.0.0", tools }) };
}

function broadcast(text: string): void {
  const id = ++nextId;
  const data = JSON.stringify({ id, text, createdAt: Date.now() });
  for (const res of listeners) res.write(`event: message\nid: ${id}\ndata: ${data}\n\n`);
}

// The query options that shape the CLI's per-turn work are Pincer's (environment switches,
// permission mode, system prompt preset, setting sources, tool set, user-message replay);
// Pincer's own MCP tools and hooks are left out because a plain echo turn never calls them.
function start(): Query {
  const q = query({
    prompt: input(),
    options: {
      cwd: workDir,
      env: agentEnvironment({
        home: workDir!,
        proxyUrl: modelUrl!,
        sessionToken: "sk-ant-bench-bare-loop",
        timeZone: "UTC",
        maxRetries: 1,
        runsAsRoot: process.getuid?.() === 0,
      }),
      permissionMode: "bypassPermissions",
      allowDangerouslySkipPermissions: true,
      disallowedTools: DISALLOWED_TOOLS,
      settingSources: ["user", "project"],
      systemPrompt: { type: "preset", preset: "claude_code" },
      extraArgs: { "replay-user-messages": null },
      mcpServers: extraTools(Number(process.env.BENCH_BARE_EXTRA_TOOLS ?? 0)),
    },
  });
  void (async () => {
    for await (const message of q) {
      if (message.type !== "assistant" || message.parent_tool_use_id) continue;
      for (const block of message.message.content) {
        if (block.type === "text" && block.text.trim()) broadcast(block.text);
      }
    }
    throw new Error("the agent process ended");
  })().catch((error: unknown) => {
    console.error(`bare loop: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
  return q;
}

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "POST" && path === "/api/chat/messages") {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const { text } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { text: string };
      running ??= start();
      inbox.push({
        type: "user",
        session_id: "",
        parent_tool_use_id: null,
        message: { role: "user", content: text },
      });
      wakeInput?.();
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: ++nextId }));
    });
    return;
  }
  if (req.method === "GET" && path === "/api/chat/events") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    listeners.add(res);
    res.on("close", () => listeners.delete(res));
    return;
  }
  res.writeHead(404).end();
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ port }));
});

process.on("SIGTERM", () => {
  running?.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
