// The fake's REST API under /api/v10, answering with Discord's status codes, error bodies
// and rate-limit headers (the ones @discordjs/rest reads to schedule its queue), plus a
// CDN-like /attachments/ path that serves uploaded and injected files.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeGateway } from "./gateway.ts";
import { Intents } from "./gateway.ts";
import type { DiscordState, FakeActionRow, FakeButton, FakeChannel, FakeMessage } from "./state.ts";

export interface UploadedFile {
  field: string;
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface RecordedCall {
  method: string;
  /** The path below /api/v10, e.g. "/channels/123/messages". */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, or the payload_json part of a multipart body. */
  body: unknown;
  files: UploadedFile[];
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

export interface FailureSpec {
  status: number;
  /** Seconds, as Discord's retry_after; 429 only. */
  retryAfter?: number;
  /** A global rather than per-route limit; 429 only. */
  global?: boolean;
  /** How many consecutive matching requests fail (default 1). */
  times?: number;
  /** How many matching requests succeed before the failures start (default 0). */
  skip?: number;
}

export type PathPattern = string | RegExp;

export function pathMatches(pattern: PathPattern, path: string): boolean {
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

interface FailureRule extends FailureSpec {
  method: string;
  pattern: PathPattern;
  left: number;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const API_PREFIX = "/api/v10";
const MAX_CONTENT = 2000;

const error = (status: number, code: number, message: string): Reply => ({
  status,
  body: { message, code },
});
const unknownChannel = (): Reply => error(404, 10003, "Unknown Channel");
const unknownMessage = (): Reply => error(404, 10008, "Unknown Message");

export class FakeRest {
  readonly calls: RecordedCall[] = [];
  readonly #state: DiscordState;
  readonly #gateway: FakeGateway;
  readonly #isValidToken: (token: string) => boolean;
  readonly #failures: FailureRule[] = [];
  readonly #listeners = new Set<() => void>();

  constructor(state: DiscordState, gateway: FakeGateway, isValidToken: (token: string) => boolean) {
    this.#state = state;
    this.#gateway = gateway;
    this.#isValidToken = isValidToken;
  }

  failNext(method: string, pattern: PathPattern, spec: FailureSpec): void {
    this.#failures.push({ ...spec, method: method.toUpperCase(), pattern, left: spec.times ?? 1 });
  }

  onCall(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(request.url ?? "/", this.#state.baseUrl);
    if (request.method === "GET" && url.pathname.startsWith("/attachments/")) {
      this.#serveFile(url.pathname, response);
      return;
    }
    const raw = await readBody(request);
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
      send(response, error(404, 0, "404: Not Found"));
      return;
    }
    const method = (request.method ?? "GET").toUpperCase();
    const path = url.pathname.slice(API_PREFIX.length);
    const call: RecordedCall = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      files: [],
      status: 0,
      at,
    };
    let reply: Reply;
    try {
      await parseBody(request.headers["content-type"], raw, call);
      // Interaction callbacks carry no bot token: the interaction's own token authorizes them.
      reply = path.startsWith("/interactions/")
        ? this.#interactionCallback(method, path, call)
        : (this.#authorize(request) ??
          this.#injectedFailure(method, path) ??
          this.#route(method, path, call));
    } catch (cause) {
      reply = error(400, 50109, `The request body contains invalid JSON. (${String(cause)})`);
    }
    call.status = reply.status;
    this.calls.push(call);
    send(response, reply);
    for (const listener of this.#listeners) listener();
  }

  #authorize(request: IncomingMessage): Reply | null {
    const header = request.headers.authorization ?? "";
    const token = header.startsWith("Bot ") ? header.slice(4) : "";
    return this.#isValidToken(token) ? null : error(401, 0, "401: Unauthorized");
  }

  #injectedFailure(method: string, path: string): Reply | null {
    const rule = this.#failures.find(
      (candidate) => candidate.method === method && pathMatches(candidate.pattern, path),
    );
    if (!rule) return null;
    if (rule.skip) {
      rule.skip -= 1;
      return null;
    }
    rule.left -= 1;
    if (rule.left <= 0) this.#failures.splice(this.#failures.indexOf(rule), 1);
    if (rule.status !== 429) return error(rule.status, 0, `${rule.status}: injected failure`);
    const retryAfter = rule.retryAfter ?? 1;
    return {
      status: 429,
      body: {
        message: "You are being rate limited.",
        retry_after: retryAfter,
        global: rule.global ?? false,
      },
      headers: {
        "retry-after": String(retryAfter),
        "x-ratelimit-limit": "5",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": String(retryAfter),
        "x-ratelimit-bucket": bucketOf(path),
        "x-ratelimit-scope": rule.global ? "global" : "user",
        ...(rule.global ? { "x-ratelimit-global": "true" } : {}),
      },
    };
  }

  #route(method: string, path: string, call: RecordedCall): Reply {
    const state = this.#state;
    const parts = path.split("/").slice(1);
    const [root, channelId, sub, messageId, subsub, emoji, me] = parts;
    if (method === "GET" && path === "/gateway/bot") {
      return ok({
        url: this.#gateway.url(),
        shards: 1,
        session_start_limit: {
          total: 1000,
          remaining: 999,
          reset_after: 14_400_000,
          max_concurrency: 1,
        },
      });
    }
    if (method === "GET" && path === "/gateway") return ok({ url: this.#gateway.url() });
    if (method === "GET" && path === "/users/@me") return ok(state.botUser);
    if (root !== "channels" || !channelId) return error(404, 0, "404: Not Found");
    const channel = state.channel(channelId);
    if (!channel) return unknownChannel();
    if (parts.length === 2 && method === "GET") return ok(channel);
    if (sub === "typing" && parts.length === 3 && method === "POST") return { status: 204 };
    if (sub !== "messages") return error(404, 0, "404: Not Found");
    if (parts.length === 3 && method === "POST") return this.#createMessage(channel, call);
    const message = messageId ? state.messages.get(messageId) : undefined;
    if (!message || message.channel_id !== channel.id) return unknownMessage();
    if (parts.length === 4) {
      if (method === "GET") return ok(state.messageWithReactions(message));
      if (method === "PATCH") return this.#editMessage(message, call.body);
      if (method === "DELETE") {
        state.messages.delete(message.id);
        this.#gateway.dispatch("MESSAGE_DELETE", deletePayload(message), messageIntent(message));
        return { status: 204 };
      }
    }
    if (subsub === "reactions" && emoji && me === "@me" && parts.length === 7) {
      if (method === "PUT") return this.#react(message, decodeURIComponent(emoji), true);
      if (method === "DELETE") return this.#react(message, decodeURIComponent(emoji), false);
    }
    return error(405, 0, "405: Method Not Allowed");
  }

  /** POST /interactions/{id}/{token}/callback: one response per interaction, 204 without with_response. */
  #interactionCallback(method: string, path: string, call: RecordedCall): Reply {
    const [, , id, token, callback] = path.split("/");
    const interaction = this.#state.interactions.find((candidate) => candidate.id === id);
    if (method !== "POST" || callback !== "callback") return error(404, 0, "404: Not Found");
    if (!interaction || interaction.token !== token)
      return error(404, 10062, "Unknown interaction");
    if (interaction.response !== null)
      return error(400, 40060, "Interaction has already been acknowledged.");
    const type = Number((call.body as { type?: unknown } | undefined)?.type);
    if (![4, 5, 6, 7].includes(type))
      return invalidForm("type", "Value must be one of {4, 5, 6, 7}.");
    interaction.response = type;
    return { status: 204 };
  }

  /** Action rows of buttons as Discord checks them: at most 5 rows of at most 5 buttons. */
  #components(raw: unknown): FakeActionRow[] | Reply {
    if (!Array.isArray(raw) || raw.length > 5)
      return invalidForm("components", "Must be 5 or fewer in length.");
    for (const row of raw as { type?: unknown; components?: unknown }[]) {
      if (row.type !== 1 || !Array.isArray(row.components) || row.components.length > 5)
        return invalidForm("components", "Invalid action row.");
      for (const button of row.components as Partial<FakeButton>[]) {
        if (button.type !== 2 || typeof button.label !== "string" || button.label.length > 80)
          return invalidForm("components", "Invalid button.");
        if (typeof button.custom_id !== "string" || button.custom_id.length > 100)
          return invalidForm("components", "custom_id must be 100 or fewer in length.");
      }
    }
    return raw as FakeActionRow[];
  }

  #createMessage(channel: FakeChannel, call: RecordedCall): Reply {
    const body = (call.body ?? {}) as {
      content?: unknown;
      message_reference?: { message_id?: unknown; fail_if_not_exists?: unknown };
      attachments?: { id?: unknown; filename?: unknown }[];
      components?: unknown;
    };
    const components = body.components === undefined ? [] : this.#components(body.components);
    if (!Array.isArray(components)) return components;
    const content = typeof body.content === "string" ? body.content : "";
    if (content.length > MAX_CONTENT) {
      return invalidForm("content", `Must be ${MAX_CONTENT} or fewer in length.`);
    }
    if (content.trim() === "" && call.files.length === 0)
      return error(400, 50006, "Cannot send an empty message");
    let replyTo: string | undefined;
    const reference = body.message_reference;
    if (reference) {
      const target = this.#state.messages.get(String(reference.message_id));
      if (target && target.channel_id === channel.id) replyTo = target.id;
      else if (reference.fail_if_not_exists !== false) {
        return invalidForm("message_reference", "Unknown message");
      }
    }
    const attachments = call.files.map((file) =>
      this.#state.storeFile(file.name, file.bytes, file.contentType),
    );
    const message = this.#state.createMessage({
      channel,
      author: this.#state.botUser,
      content,
      ...(replyTo ? { replyTo } : {}),
      attachments,
    });
    if (components.length > 0) message.components = components;
    this.#gateway.dispatchMessage("MESSAGE_CREATE", message);
    return ok(message);
  }

  #editMessage(message: FakeMessage, rawBody: unknown): Reply {
    if (message.author.id !== this.#state.botUser.id) {
      return error(403, 50005, "Cannot edit a message authored by another user");
    }
    const body = (rawBody ?? {}) as { content?: unknown; components?: unknown };
    if (typeof body.content === "string") {
      if (body.content.length > MAX_CONTENT)
        return invalidForm("content", `Must be ${MAX_CONTENT} or fewer in length.`);
      message.content = body.content;
    }
    if (body.components !== undefined) {
      const components = this.#components(body.components);
      if (!Array.isArray(components)) return components;
      if (components.length > 0) message.components = components;
      else delete message.components;
    }
    message.edited_timestamp = new Date().toISOString();
    this.#gateway.dispatchMessage("MESSAGE_UPDATE", message);
    return ok(message);
  }

  #react(message: FakeMessage, emoji: string, add: boolean): Reply {
    const mine = this.#state.botReactions.get(message.id) ?? new Set<string>();
    this.#state.botReactions.set(message.id, mine);
    const had = mine.has(emoji);
    if (add) mine.add(emoji);
    else mine.delete(emoji);
    if (had !== add) {
      const event = {
        user_id: this.#state.botUser.id,
        channel_id: message.channel_id,
        message_id: message.id,
        ...(message.guild_id ? { guild_id: message.guild_id } : {}),
        emoji: { id: null, name: emoji },
        burst: false,
        type: 0,
      };
      const intent = message.guild_id
        ? Intents.GuildMessageReactions
        : Intents.DirectMessageReactions;
      this.#gateway.dispatch(
        add ? "MESSAGE_REACTION_ADD" : "MESSAGE_REACTION_REMOVE",
        event,
        intent,
      );
    }
    return { status: 204 };
  }

  #serveFile(pathname: string, response: ServerResponse): void {
    const key = pathname
      .slice("/attachments/".length)
      .split("/")
      .map((part) => decodeURIComponent(part))
      .join("/");
    const bytes = this.#state.files.get(key);
    if (!bytes) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": bytes.byteLength,
    });
    response.end(bytes);
  }
}

export function messageIntent(message: FakeMessage): number {
  return message.guild_id ? Intents.GuildMessages : Intents.DirectMessages;
}

export function deletePayload(message: FakeMessage): Record<string, string> {
  return {
    id: message.id,
    channel_id: message.channel_id,
    ...(message.guild_id ? { guild_id: message.guild_id } : {}),
  };
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function invalidForm(field: string, message: string): Reply {
  return {
    status: 400,
    body: {
      message: "Invalid Form Body",
      code: 50035,
      errors: { [field]: { _errors: [{ code: "BASE_TYPE_INVALID", message }] } },
    },
  };
}

/** A stable per-route bucket id, shaped like Discord's opaque hashes. */
function bucketOf(path: string): string {
  const route = path
    .replace(/\/messages\/\d+/, "/messages/:id")
    .replace(/\/reactions\/.*/, "/reactions");
  return Buffer.from(route).toString("hex").slice(0, 32);
}

function send(response: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = {
    "x-ratelimit-limit": "50",
    "x-ratelimit-remaining": "49",
    "x-ratelimit-reset-after": "1",
    ...reply.headers,
  };
  if (reply.body === undefined) {
    response.writeHead(reply.status, headers).end();
    return;
  }
  response
    .writeHead(reply.status, { ...headers, "content-type": "application/json" })
    .end(JSON.stringify(reply.body));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseBody(
  contentType: string | undefined,
  raw: Buffer,
  call: RecordedCall,
): Promise<void> {
  if (raw.byteLength === 0) return;
  if (contentType?.startsWith("multipart/form-data")) {
    const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
    for (const [field, value] of form) {
      if (typeof value === "string") {
        if (field === "payload_json") call.body = JSON.parse(value);
        continue;
      }
      call.files.push({
        field,
        name: value.name,
        contentType: value.type,
        bytes: new Uint8Array(await value.arrayBuffer()),
      });
    }
    return;
  }
  call.body = JSON.parse(raw.toString("utf8"));
}
