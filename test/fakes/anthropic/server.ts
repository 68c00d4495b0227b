// A scriptable fake of the Anthropic Messages API on 127.0.0.1. It speaks the wire
// format the Claude Code CLI uses (POST /v1/messages with SSE streaming, tool_use blocks,
// usage, error bodies) so the real CLI, started by the real Agent SDK, can run against it.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { deferred } from "../../helpers/wait.ts";

export interface MessagesRequest {
  model: string;
  system?: unknown;
  messages: { role: "user" | "assistant"; content: string | ContentBlock[] }[];
  tools?: { name: string }[];
  stream?: boolean;
  max_tokens?: number;
}

/** A content block as it travels on the wire; fields depend on `type`. */
export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

/**
 * How long a reply waits before it is sent: `until` holds it until the test lets it go (a
 * model "still answering" while the test does something), `delayMs` for a fixed time.
 */
interface ReplyTiming {
  delayMs?: number;
  until?: Promise<unknown>;
}

/**
 * A text written slowly: the pieces go out as separate text deltas, and before piece `i > 0`
 * the stream waits for `before(i)` (a hold the test lets go), never for a fixed time.
 */
export interface SlowText {
  pieces: string[];
  before?: (index: number) => Promise<unknown> | undefined;
}

export type FakeReply = ReplyTiming &
  (
    | { text: string }
    | { slow: SlowText }
    | { toolUse: { name: string; input: Record<string, unknown> }; text?: string }
    | { error: 429 | 500 | 529 }
  );

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: MessagesRequest;
  at: number;
}

/** Decides the reply to a model call; `main` is false for the CLI's side calls (titles etc.). */
export type Responder = (request: MessagesRequest, context: { main: boolean }) => FakeReply;

export interface AnthropicFake {
  url: string;
  requests: RecordedRequest[];
  /** Requests that carried the conversation (not the CLI's side calls). */
  mainRequests(): RecordedRequest[];
  setResponder(responder: Responder): void;
  /** Queues replies that win over the responder, one per main request, in order. */
  enqueue(...replies: FakeReply[]): void;
  close(): Promise<void>;
}

/** The text of the last user turn, ignoring tool results and the CLI's system reminders. */
export function lastUserText(request: MessagesRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (!message || message.role !== "user") continue;
    const texts =
      typeof message.content === "string"
        ? [message.content]
        : message.content.filter((block) => block.type === "text").map((block) => block.text ?? "");
    const meaningful = texts.filter((text) => !text.startsWith("<system-reminder>"));
    if (meaningful.length > 0) return meaningful.join("\n");
    if (Array.isArray(message.content) && message.content.some((b) => b.type === "tool_result")) {
      return "";
    }
  }
  return "";
}

/**
 * The first of `requests` that carries the tool result of the turn a chat message containing
 * `text` started: a tool-result turn whose user text before it is that message.
 */
export function toolResultFor(
  requests: RecordedRequest[],
  text: string,
): RecordedRequest | undefined {
  return requests.find(
    (request) =>
      isToolResultTurn(request.body) &&
      lastUserText({ ...request.body, messages: request.body.messages.slice(0, -1) }).includes(
        text,
      ),
  );
}

/** True when the last user message carries a tool result, i.e. the model is mid tool loop. */
export function isToolResultTurn(request: MessagesRequest): boolean {
  const last = request.messages.at(-1);
  return (
    last !== undefined &&
    Array.isArray(last.content) &&
    last.content.some((block) => block.type === "tool_result")
  );
}

export function toolResults(request: MessagesRequest): { content: unknown; isError: boolean }[] {
  const last = request.messages.at(-1);
  if (!last || !Array.isArray(last.content)) return [];
  return last.content
    .filter((block) => block.type === "tool_result")
    .map((block) => ({ content: block.content, isError: block.is_error === true }));
}

/** Default responder: echoes the last user text, so tests can assert on round trips. */
export const echoResponder: Responder = (request) => ({
  text: `echo: ${lastUserText(request)}`,
});

// The CLI marks its main conversation calls by offering tools; side calls (session titles,
// summaries) offer none.
function isMainRequest(body: MessagesRequest): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0;
}

let idCounter = 0;
const nextId = (prefix: string): string => `${prefix}_fake${(++idCounter).toString(36)}`;

function estimateTokens(body: MessagesRequest): number {
  return Math.max(1, Math.ceil(JSON.stringify(body.messages).length / 4));
}

const ERROR_TYPES: Record<number, string> = {
  401: "authentication_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

function writeError(res: ServerResponse, status: number): void {
  res.writeHead(status, { "content-type": "application/json", "retry-after": "0" });
  res.end(
    JSON.stringify({
      type: "error",
      error: { type: ERROR_TYPES[status] ?? "api_error", message: `fake error ${status}` },
    }),
  );
}

function contentFor(reply: Exclude<FakeReply, { error: number }>): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  if ("slow" in reply) blocks.push({ type: "text", text: reply.slow.pieces.join("") });
  else if (reply.text) blocks.push({ type: "text", text: reply.text });
  if ("toolUse" in reply) {
    blocks.push({
      type: "tool_use",
      id: nextId("toolu"),
      name: reply.toolUse.name,
      input: reply.toolUse.input,
    });
  }
  return blocks;
}

async function writeStream(
  res: ServerResponse,
  body: MessagesRequest,
  content: ContentBlock[],
  stopReason: string,
  slow?: SlowText,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "request-id": nextId("req"),
  });
  const send = (event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const inputTokens = estimateTokens(body);
  const outputTokens = Math.max(1, Math.ceil(JSON.stringify(content).length / 4));
  send("message_start", {
    type: "message_start",
    message: {
      id: nextId("msg"),
      type: "message",
      role: "assistant",
      model: body.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 1 },
    },
  });
  for (const [index, block] of content.entries()) {
    if (block.type === "text") {
      send("content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "text", text: "" },
      });
      for (const [piece, text] of (slow?.pieces ?? [block.text ?? ""]).entries()) {
        if (piece > 0) await slow?.before?.(piece);
        // The client gave up meanwhile (an interrupt, a killed service): nothing to write to.
        if (res.destroyed) return;
        send("content_block_delta", {
          type: "content_block_delta",
          index,
          delta: { type: "text_delta", text },
        });
      }
    } else {
      send("content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      send("content_block_delta", {
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    }
    send("content_block_stop", { type: "content_block_stop", index });
  }
  send("message_delta", {
    type: "message_delta",
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: outputTokens },
  });
  send("message_stop", { type: "message_stop" });
  res.end();
}

async function readJson(req: IncomingMessage): Promise<MessagesRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as MessagesRequest;
}

export interface AnthropicFakeOptions {
  /** When given, a Messages call with any other x-api-key (or bearer token) gets a 401. */
  acceptKeys?: readonly string[];
}

export async function startAnthropicFake(
  responder: Responder = echoResponder,
  options: AnthropicFakeOptions = {},
): Promise<AnthropicFake> {
  let current = responder;
  const queued: FakeReply[] = [];
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (req.method === "POST" && path === "/v1/messages/count_tokens") {
        const body = await readJson(req);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ input_tokens: estimateTokens(body) }));
        return;
      }
      if (req.method !== "POST" || path !== "/v1/messages") {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ type: "error", error: { type: "not_found_error", message: path } }),
        );
        return;
      }
      const body = await readJson(req);
      const presented =
        req.headers["x-api-key"] ?? req.headers.authorization?.replace(/^Bearer\s+/i, "");
      if (options.acceptKeys && !options.acceptKeys.includes(String(presented))) {
        requests.push({ path, headers: req.headers, body, at: Date.now() });
        writeError(res, 401);
        return;
      }
      const main = isMainRequest(body);
      requests.push({ path, headers: req.headers, body, at: Date.now() });
      const reply: FakeReply = (main ? queued.shift() : undefined) ?? current(body, { main });
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (reply.until) await reply.until;
      if ("error" in reply) {
        writeError(res, reply.error);
        return;
      }
      const content = contentFor(reply);
      const stopReason = "toolUse" in reply ? "tool_use" : "end_turn";
      if (body.stream) {
        await writeStream(res, body, content, stopReason, "slow" in reply ? reply.slow : undefined);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: nextId("msg"),
          type: "message",
          role: "assistant",
          model: body.model,
          content,
          stop_reason: stopReason,
          stop_sequence: null,
          usage: { input_tokens: estimateTokens(body), output_tokens: 1 },
        }),
      );
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mainRequests: () => requests.filter((request) => isMainRequest(request.body)),
    setResponder(next) {
      current = next;
    },
    enqueue(...replies) {
      queued.push(...replies);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Model calls held back by marker: `hold(marker)` makes the next main request whose last user
 * text contains the marker wait until the returned release is called. A responder asks
 * `take(text)` for the hold of a request, once.
 */
export class HeldReplies {
  readonly #held = new Map<string, Promise<void>>();
  readonly #releases = new Set<() => void>();

  hold(marker: string): () => void {
    const { promise, resolve } = deferred();
    this.#held.set(marker, promise);
    this.#releases.add(resolve);
    return resolve;
  }

  /** The hold for a request with this text, if one is set (used once). */
  take(text: string): Promise<void> | undefined {
    for (const [marker, until] of this.#held) {
      if (!text.includes(marker)) continue;
      this.#held.delete(marker);
      return until;
    }
    return undefined;
  }

  /** Lets every held reply go (a test's cleanup: a service killed mid-call leaves one). */
  releaseAll(): void {
    for (const release of this.#releases) release();
    this.#releases.clear();
  }
}
