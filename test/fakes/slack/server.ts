// A loopback fake of Slack for tests: the Web API (`POST {apiUrl}<method>`, form-encoded,
// JSON or multipart, token in the Authorization header or the body), the external file
// upload flow behind `filesUploadV2`, private file downloads, and Socket Mode (see
// socket-mode.ts). Point @slack/web-api at it with `slackApiUrl: fake.apiUrl`; the
// Socket Mode client finds the WebSocket through apps.connections.open on the same URL.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bearerToken, parseParams, readBody, type ApiParams } from "./request-body.ts";
import { SocketModeHub, type EnvelopeRecord } from "./socket-mode.ts";
import { ChangeSignal } from "./wait.ts";

export type { EnvelopeRecord } from "./socket-mode.ts";

export interface FakeChannelSpec {
  id: string;
  name: string;
  is_im?: boolean;
  is_mpim?: boolean;
  is_private?: boolean;
  /** For an IM: the user on the other side. */
  user?: string;
}

export interface FakeUserSpec {
  id: string;
  name: string;
  real_name: string;
  display_name?: string;
}

export interface ApiCall {
  method: string;
  params: ApiParams;
  token: string | undefined;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  thread_ts?: string;
  /** Block Kit blocks, as posted or last updated (JSON-decoded). */
  blocks?: unknown[];
  /** Reaction names the bot currently has on the message. */
  reactions: string[];
}

export interface UploadedFile {
  id: string;
  filename: string;
  bytes?: Uint8Array;
  channel?: string;
  initialComment?: string;
  threadTs?: string;
}

export interface FailureSpec {
  /** An HTTP status other than 200 (e.g. 500, 503). */
  status?: number;
  /** A Slack platform error: HTTP 200 with `{"ok":false,"error":...}`. */
  error?: string;
  /** Seconds for a 429 with `Retry-After`. */
  retryAfter?: number;
}

export interface InjectedFile {
  name: string;
  mimetype: string;
  content: Uint8Array | string;
  /** "slack_audio" makes it a clip recorded in Slack, with its length. */
  subtype?: string;
  durationMs?: number;
}

export interface SlackFake {
  apiUrl: string;
  /** Where the fake serves url_private: the adapter's allowed file host (SLACK_FILES_URL). */
  filesUrl: string;
  botUserId: string;
  botId: string;
  teamId: string;
  appId: string;
  calls: ApiCall[];
  envelopes: EnvelopeRecord[];
  uploads: UploadedFile[];
  readonly connectionCount: number;
  readonly openConnections: number;
  addChannel(spec: FakeChannelSpec): void;
  addUser(spec: FakeUserSpec): void;
  /** Posts a user message; also sends `app_mention` when it mentions the bot outside an IM. Returns its ts. */
  injectMessage(spec: {
    channel: string;
    user: string;
    text: string;
    thread_ts?: string;
    files?: InjectedFile[];
  }): string;
  /** A `bot_message` from another integration. Returns its ts. */
  injectBotMessage(spec: {
    channel: string;
    text: string;
    bot_id: string;
    username: string;
  }): string;
  injectEdit(spec: { channel: string; ts: string; text: string }): void;
  /** Deletes a message; a thread parent with replies becomes a tombstone (message_changed), as in Slack. */
  injectDelete(spec: { channel: string; ts: string }): void;
  messages(channel: string): StoredMessage[];
  /**
   * A user clicks a button of a bot message: a block_actions payload in an `interactive`
   * Socket Mode envelope, as Slack sends it. Returns the envelope (to check its ack).
   */
  injectBlockAction(spec: {
    channel: string;
    ts: string;
    user: string;
    actionId: string;
  }): EnvelopeRecord;
  waitForCall(
    method: string,
    predicate?: (call: ApiCall) => boolean,
    timeoutMs?: number,
  ): Promise<ApiCall>;
  waitForEnvelope(
    predicate: (record: EnvelopeRecord) => boolean,
    timeoutMs?: number,
  ): Promise<EnvelopeRecord>;
  /** Waits until at least `count` connections have received `hello`, in total. */
  waitForConnections(count: number, timeoutMs?: number): Promise<void>;
  waitForOpenConnections(count: number, timeoutMs?: number): Promise<void>;
  /** The next call of `method` fails as described (queued per method). */
  failNext(method: string, failure: FailureSpec): void;
  /** From now on the token is refused with `error` (e.g. a revoked app token). */
  revokeToken(token: string, error?: string): void;
  dropConnections(): void;
  requestRefresh(): void;
  close(): Promise<void>;
}

class ApiError extends Error {}

interface StoredFile {
  name: string;
  mimetype: string;
  bytes: Uint8Array;
}

const DEFAULT_WAIT_MS = 10_000;

export async function startSlackFake(options: {
  botToken: string;
  appToken: string;
}): Promise<SlackFake> {
  const teamId = "T0FAKE0001";
  const botUserId = "U0PINCERBOT";
  const botId = "B0PINCERBOT";
  const appId = "A0PINCERAPP";
  const changes = new ChangeSignal();
  const hub = new SocketModeHub(appId, changes);
  const channels = new Map<string, FakeChannelSpec>();
  const users = new Map<string, FakeUserSpec>();
  const messages = new Map<string, StoredMessage[]>();
  const hostedFiles = new Map<string, StoredFile>();
  const calls: ApiCall[] = [];
  const uploads: UploadedFile[] = [];
  const failures = new Map<string, FailureSpec[]>();
  const tokenErrors = new Map<string, string>();
  let sequence = 0;
  let baseUrl = "";

  const nextTs = (): string => {
    sequence += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(sequence).padStart(6, "0")}`;
  };
  const nextId = (prefix: string): string => {
    sequence += 1;
    return `${prefix}${String(sequence).padStart(8, "0")}`;
  };

  const channelOf = (id: string): FakeChannelSpec => {
    const channel = channels.get(id);
    if (!channel) throw new ApiError("channel_not_found");
    return channel;
  };
  const channelType = (channel: FakeChannelSpec): string => {
    if (channel.is_im) return "im";
    if (channel.is_mpim) return "mpim";
    return channel.is_private ? "group" : "channel";
  };
  const messageOf = (channel: string, ts: string): StoredMessage => {
    const found = messages.get(channel)?.find((m) => m.ts === ts);
    if (!found) throw new ApiError("message_not_found");
    return found;
  };
  const store = (message: StoredMessage): void => {
    const list = messages.get(message.channel) ?? [];
    list.push(message);
    messages.set(message.channel, list);
  };

  const emit = (event: Record<string, unknown>): EnvelopeRecord => {
    const payload = {
      token: "fake-verification-token",
      team_id: teamId,
      context_team_id: teamId,
      api_app_id: appId,
      event,
      type: "event_callback",
      event_id: nextId("Ev"),
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: teamId,
          user_id: botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
    return hub.enqueue(payload, event);
  };

  const fileObject = (id: string, file: StoredFile, user: string): Record<string, unknown> => {
    const base = `${baseUrl}/files-pri/${teamId}-${id}`;
    return {
      id,
      created: Math.floor(Date.now() / 1000),
      name: file.name,
      title: file.name,
      mimetype: file.mimetype,
      filetype: file.name.split(".").pop() ?? "binary",
      user,
      size: file.bytes.byteLength,
      mode: "hosted",
      is_external: false,
      url_private: `${base}/${encodeURIComponent(file.name)}`,
      url_private_download: `${base}/download/${encodeURIComponent(file.name)}`,
    };
  };

  const channelObject = (channel: FakeChannelSpec): Record<string, unknown> => ({
    id: channel.id,
    name: channel.is_im ? undefined : channel.name,
    is_channel: !channel.is_im && !channel.is_mpim && !channel.is_private,
    is_group: Boolean(channel.is_private),
    is_im: Boolean(channel.is_im),
    is_mpim: Boolean(channel.is_mpim),
    is_private: Boolean(channel.is_private || channel.is_im || channel.is_mpim),
    is_member: true,
    is_archived: false,
    user: channel.user,
  });

  const userObject = (user: FakeUserSpec): Record<string, unknown> => ({
    id: user.id,
    team_id: teamId,
    name: user.name,
    real_name: user.real_name,
    is_bot: false,
    profile: { real_name: user.real_name, display_name: user.display_name ?? "" },
  });

  const text = (params: ApiParams, key: string): string | undefined => {
    const value = params[key];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const required = (params: ApiParams, key: string, error = "invalid_arguments"): string => {
    const value = text(params, key);
    if (value === undefined) throw new ApiError(error);
    return value;
  };

  /** blocks as Slack checks them: a JSON array of at most 50 blocks, each with a type. */
  const blocksOf = (params: ApiParams): unknown[] | undefined => {
    const raw = text(params, "blocks");
    if (raw === undefined) return undefined;
    let blocks: unknown;
    try {
      blocks = JSON.parse(raw);
    } catch {
      throw new ApiError("invalid_blocks_format");
    }
    if (
      !Array.isArray(blocks) ||
      blocks.length > 50 ||
      blocks.some((block) => typeof (block as { type?: unknown }).type !== "string")
    )
      throw new ApiError("invalid_blocks");
    return blocks;
  };

  const botEcho = (message: StoredMessage, channel: FakeChannelSpec): void => {
    emit({
      type: "message",
      text: message.text,
      user: botUserId,
      bot_id: botId,
      app_id: appId,
      ts: message.ts,
      event_ts: message.ts,
      channel: message.channel,
      channel_type: channelType(channel),
      team: teamId,
      ...(message.thread_ts ? { thread_ts: message.thread_ts, parent_user_id: botUserId } : {}),
    });
  };

  const methods: Record<string, (params: ApiParams) => Record<string, unknown>> = {
    "auth.test": () => ({
      url: "https://fake.slack.test/",
      team: "Fake Team",
      user: "pincer",
      team_id: teamId,
      user_id: botUserId,
      bot_id: botId,
      is_enterprise_install: false,
    }),
    "apps.connections.open": () => ({
      url: `ws://127.0.0.1:${new URL(baseUrl).port}/link/?ticket=${hub.issueTicket()}&app_id=${appId}`,
    }),
    "chat.postMessage": (params) => {
      const channel = channelOf(required(params, "channel", "channel_not_found"));
      const body = text(params, "text");
      if (body === undefined && text(params, "blocks") === undefined) throw new ApiError("no_text");
      if ((body ?? "").length > 40_000) throw new ApiError("msg_too_long");
      const threadTs = text(params, "thread_ts");
      const blocks = blocksOf(params);
      const message: StoredMessage = {
        channel: channel.id,
        ts: nextTs(),
        text: body ?? "",
        user: botUserId,
        bot_id: botId,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(blocks ? { blocks } : {}),
        reactions: [],
      };
      store(message);
      botEcho(message, channel);
      return {
        channel: channel.id,
        ts: message.ts,
        message: {
          type: "message",
          text: message.text,
          user: botUserId,
          bot_id: botId,
          ts: message.ts,
        },
      };
    },
    "chat.update": (params) => {
      const channel = channelOf(required(params, "channel", "channel_not_found"));
      const message = messageOf(channel.id, required(params, "ts", "message_not_found"));
      if (message.user !== botUserId) throw new ApiError("cant_update_message");
      message.text = text(params, "text") ?? "";
      // An update replaces the blocks; an empty list leaves none.
      const blocks = blocksOf(params);
      if (blocks !== undefined) {
        if (blocks.length > 0) message.blocks = blocks;
        else delete message.blocks;
      }
      return { channel: channel.id, ts: message.ts, text: message.text };
    },
    "chat.delete": (params) => {
      const channel = channelOf(required(params, "channel", "channel_not_found"));
      const message = messageOf(channel.id, required(params, "ts", "message_not_found"));
      if (message.user !== botUserId) throw new ApiError("cant_delete_message");
      // messages() holds what the channel shows now: a deleted message leaves it.
      const list = messages.get(channel.id) ?? [];
      list.splice(list.indexOf(message), 1);
      return { channel: channel.id, ts: message.ts };
    },
    "reactions.add": (params) => {
      const channel = channelOf(required(params, "channel", "channel_not_found"));
      const message = messageOf(channel.id, required(params, "timestamp", "message_not_found"));
      const name = required(params, "name", "invalid_name");
      if (message.reactions.includes(name)) throw new ApiError("already_reacted");
      message.reactions.push(name);
      return {};
    },
    "reactions.remove": (params) => {
      const channel = channelOf(required(params, "channel", "channel_not_found"));
      const message = messageOf(channel.id, required(params, "timestamp", "message_not_found"));
      const at = message.reactions.indexOf(required(params, "name", "invalid_name"));
      if (at < 0) throw new ApiError("no_reaction");
      message.reactions.splice(at, 1);
      return {};
    },
    // Newest first, at or before `latest` (exclusive unless `inclusive`), as Slack pages them.
    "conversations.history": (params) => {
      const channel = channelOf(required(params, "channel", "channel_not_found"));
      const latest = text(params, "latest");
      const inclusive = text(params, "inclusive") === "true";
      const limit = Number(text(params, "limit") ?? 100);
      const found = (messages.get(channel.id) ?? [])
        .filter((message) =>
          latest === undefined
            ? true
            : inclusive
              ? Number(message.ts) <= Number(latest)
              : Number(message.ts) < Number(latest),
        )
        .reverse()
        .slice(0, limit)
        .map((message) => ({
          type: "message",
          ts: message.ts,
          text: message.text,
          ...(message.user ? { user: message.user } : {}),
          ...(message.bot_id ? { bot_id: message.bot_id } : {}),
          ...(message.blocks ? { blocks: message.blocks } : {}),
        }));
      return { messages: found, has_more: false };
    },
    "conversations.info": (params) => ({
      channel: channelObject(channelOf(required(params, "channel", "channel_not_found"))),
    }),
    "conversations.list": (params) => {
      const types = (text(params, "types") ?? "public_channel").split(",");
      const wanted = [...channels.values()].filter((channel) => {
        if (channel.is_im) return types.includes("im");
        if (channel.is_mpim) return types.includes("mpim");
        return types.includes(channel.is_private ? "private_channel" : "public_channel");
      });
      const start = Number(text(params, "cursor") ?? "0");
      const limit = Number(text(params, "limit") ?? "100");
      const page = wanted.slice(start, start + limit);
      const next = start + limit < wanted.length ? String(start + limit) : "";
      return { channels: page.map(channelObject), response_metadata: { next_cursor: next } };
    },
    "users.info": (params) => {
      const user = users.get(required(params, "user", "user_not_found"));
      if (!user) throw new ApiError("user_not_found");
      return { user: userObject(user) };
    },
    "files.getUploadURLExternal": (params) => {
      const filename = required(params, "filename");
      if (!(Number(required(params, "length")) > 0)) throw new ApiError("invalid_arguments");
      const id = nextId("F");
      uploads.push({ id, filename });
      return { upload_url: `${baseUrl}/upload/v1/${id}`, file_id: id };
    },
    "files.completeUploadExternal": (params) => {
      const files = JSON.parse(required(params, "files")) as { id: string; title?: string }[];
      const completed = files.map((entry) => {
        const upload = uploads.find((u) => u.id === entry.id);
        if (!upload?.bytes) throw new ApiError("file_not_found");
        const channel = text(params, "channel_id") ?? text(params, "channels");
        if (channel) upload.channel = channelOf(channel).id;
        const comment = text(params, "initial_comment");
        if (comment !== undefined) upload.initialComment = comment;
        const threadTs = text(params, "thread_ts");
        if (threadTs !== undefined) upload.threadTs = threadTs;
        return { id: upload.id, title: entry.title ?? upload.filename, name: upload.filename };
      });
      return { files: completed };
    },
  };

  const authorize = (method: string, token: string | undefined): void => {
    if (token === undefined) throw new ApiError("not_authed");
    const refused = tokenErrors.get(token);
    if (refused) throw new ApiError(refused);
    const expected = method === "apps.connections.open" ? options.appToken : options.botToken;
    if (token === expected) return;
    const known = token === options.appToken || token === options.botToken;
    throw new ApiError(known ? "not_allowed_token_type" : "invalid_auth");
  };

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  };

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
  ): Promise<void> => {
    const params = await parseParams(req.headers["content-type"] ?? "", await readBody(req));
    const token = bearerToken(req, params);
    calls.push({ method, params, token });
    changes.notify();
    const failure = failures.get(method)?.shift();
    if (failure?.retryAfter !== undefined) {
      sendJson(
        res,
        429,
        { ok: false, error: "ratelimited" },
        { "retry-after": String(failure.retryAfter) },
      );
      return;
    }
    if (failure?.status !== undefined) {
      res.writeHead(failure.status, { "content-type": "text/plain" });
      res.end(`fake failure ${failure.status}`);
      return;
    }
    try {
      if (failure?.error !== undefined) throw new ApiError(failure.error);
      authorize(method, token);
      const handler = methods[method];
      if (!handler) throw new ApiError("unknown_method");
      sendJson(res, 200, { ok: true, ...handler(params) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendJson(res, 200, { ok: false, error: error.message });
    }
  };

  const handleUpload = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
  ): Promise<void> => {
    const upload = uploads.find((u) => u.id === id);
    const raw = await readBody(req);
    const contentType = req.headers["content-type"] ?? "";
    let bytes: Uint8Array = new Uint8Array(raw);
    if (contentType.includes("multipart/form-data")) {
      const file = Object.values(await parseParams(contentType, raw)).find(
        (v) => v instanceof Uint8Array,
      );
      if (file instanceof Uint8Array) bytes = file;
    }
    if (!upload) {
      res.writeHead(404).end();
      return;
    }
    upload.bytes = bytes;
    changes.notify();
    res.writeHead(200, { "content-type": "text/plain" }).end(`OK - ${bytes.byteLength}`);
  };

  const handleFileDownload = (req: IncomingMessage, res: ServerResponse, id: string): void => {
    const file = hostedFiles.get(id);
    const token = req.headers.authorization?.replace(/^Bearer /, "");
    if (!file || token !== options.botToken || tokenErrors.has(token)) {
      // Slack answers an unauthenticated file URL with its sign-in page, not an error status.
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!DOCTYPE html><html><body>Sign in to Fake Team</body></html>");
      return;
    }
    res.writeHead(200, {
      "content-type": file.mimetype,
      "content-length": String(file.bytes.byteLength),
    });
    res.end(file.bytes);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const api = /^\/api\/([\w.]+)$/.exec(url.pathname);
    const upload = /^\/upload\/v1\/(\w+)$/.exec(url.pathname);
    const download = new RegExp(`^/files-pri/${teamId}-(\\w+)/`).exec(url.pathname);
    let work: Promise<void> | void = undefined;
    if (api?.[1] && req.method === "POST") work = handleApi(req, res, api[1]);
    else if (upload?.[1] && req.method === "POST") work = handleUpload(req, res, upload[1]);
    else if (download?.[1] && req.method === "GET")
      work = handleFileDownload(req, res, download[1]);
    else res.writeHead(404).end();
    Promise.resolve(work).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
  });
  server.on("upgrade", (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const userMessageEvent = (
    channel: FakeChannelSpec,
    fields: Record<string, unknown>,
  ): Record<string, unknown> => ({
    type: "message",
    channel: channel.id,
    channel_type: channelType(channel),
    team: teamId,
    ...fields,
  });

  return {
    apiUrl: `${baseUrl}/api/`,
    filesUrl: baseUrl,
    botUserId,
    botId,
    teamId,
    appId,
    calls,
    envelopes: hub.envelopes,
    uploads,
    get connectionCount() {
      return hub.connectionCount;
    },
    get openConnections() {
      return hub.openConnections;
    },
    addChannel(spec) {
      channels.set(spec.id, spec);
    },
    addUser(spec) {
      users.set(spec.id, spec);
    },
    injectMessage(spec) {
      const channel = channelOf(spec.channel);
      const ts = nextTs();
      store({
        channel: channel.id,
        ts,
        text: spec.text,
        user: spec.user,
        ...(spec.thread_ts ? { thread_ts: spec.thread_ts } : {}),
        reactions: [],
      });
      const files = (spec.files ?? []).map((file) => {
        const id = nextId("F");
        const bytes =
          typeof file.content === "string" ? new TextEncoder().encode(file.content) : file.content;
        const stored = { name: file.name, mimetype: file.mimetype, bytes };
        hostedFiles.set(id, stored);
        return {
          ...fileObject(id, stored, spec.user),
          ...(file.subtype ? { subtype: file.subtype } : {}),
          ...(file.durationMs !== undefined
            ? { duration_ms: file.durationMs, media_display_type: "audio" }
            : {}),
        };
      });
      const parent = spec.thread_ts
        ? (messages.get(channel.id) ?? []).find((message) => message.ts === spec.thread_ts)
        : undefined;
      const fields = {
        user: spec.user,
        text: spec.text,
        ts,
        event_ts: ts,
        ...(spec.thread_ts ? { thread_ts: spec.thread_ts } : {}),
        // Slack names the thread's first author on every reply in it.
        ...(parent?.user ? { parent_user_id: parent.user } : {}),
      };
      emit(
        userMessageEvent(channel, {
          ...fields,
          ...(files.length > 0 ? { subtype: "file_share", files } : {}),
        }),
      );
      if (!channel.is_im && spec.text.includes(`<@${botUserId}>`)) {
        emit({ type: "app_mention", channel: channel.id, team: teamId, ...fields });
      }
      return ts;
    },
    injectBotMessage(spec) {
      const channel = channelOf(spec.channel);
      const ts = nextTs();
      store({ channel: channel.id, ts, text: spec.text, bot_id: spec.bot_id, reactions: [] });
      emit(
        userMessageEvent(channel, {
          subtype: "bot_message",
          text: spec.text,
          bot_id: spec.bot_id,
          username: spec.username,
          ts,
          event_ts: ts,
        }),
      );
      return ts;
    },
    injectEdit(spec) {
      const channel = channelOf(spec.channel);
      const message = messageOf(channel.id, spec.ts);
      const previous = { type: "message", user: message.user, text: message.text, ts: message.ts };
      message.text = spec.text;
      const eventTs = nextTs();
      emit(
        userMessageEvent(channel, {
          subtype: "message_changed",
          hidden: true,
          ts: eventTs,
          event_ts: eventTs,
          message: {
            type: "message",
            user: message.user,
            text: spec.text,
            ts: message.ts,
            edited: { user: message.user, ts: eventTs },
            ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
          },
          previous_message: previous,
        }),
      );
    },
    injectDelete(spec) {
      const channel = channelOf(spec.channel);
      const message = messageOf(channel.id, spec.ts);
      const list = messages.get(channel.id) ?? [];
      const eventTs = nextTs();
      const previous = { type: "message", user: message.user, text: message.text, ts: message.ts };
      if (list.some((m) => m.thread_ts === message.ts && m.ts !== message.ts)) {
        // A thread parent with replies is not removed: Slack leaves a tombstone in its place.
        message.text = "This message was deleted.";
        emit(
          userMessageEvent(channel, {
            subtype: "message_changed",
            hidden: true,
            ts: eventTs,
            event_ts: eventTs,
            message: {
              type: "message",
              subtype: "tombstone",
              user: "USLACKBOT",
              text: message.text,
              ts: message.ts,
            },
            previous_message: previous,
          }),
        );
        return;
      }
      list.splice(list.indexOf(message), 1);
      emit(
        userMessageEvent(channel, {
          subtype: "message_deleted",
          hidden: true,
          ts: eventTs,
          event_ts: eventTs,
          deleted_ts: message.ts,
          previous_message: previous,
        }),
      );
    },
    messages(channel) {
      return [...(messages.get(channel) ?? [])];
    },
    injectBlockAction({ channel: channelId, ts, user, actionId }) {
      const channel = channelOf(channelId);
      const message = messageOf(channel.id, ts);
      const clicked = users.get(user);
      const button = (message.blocks ?? [])
        .flatMap((block) => (block as { elements?: unknown[] }).elements ?? [])
        .find((element) => (element as { action_id?: unknown }).action_id === actionId) as
        { action_id: string; text?: unknown; value?: string; block_id?: string } | undefined;
      if (!button) throw new Error(`message ${ts} has no button ${actionId}`);
      const payload = {
        type: "block_actions",
        user: {
          id: user,
          username: clicked?.name ?? user,
          name: clicked?.name ?? user,
          team_id: teamId,
        },
        api_app_id: appId,
        token: "fake-verification-token",
        container: { type: "message", message_ts: ts, channel_id: channel.id, is_ephemeral: false },
        trigger_id: nextId("trigger"),
        team: { id: teamId, domain: "fake" },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: channel.id, name: channel.name ?? channel.id },
        message: {
          type: "message",
          ts,
          text: message.text,
          user: message.user,
          bot_id: message.bot_id,
          blocks: message.blocks,
        },
        state: { values: {} },
        response_url: `${baseUrl}/actions/${nextId("R")}`,
        actions: [
          {
            action_id: actionId,
            block_id: button.block_id ?? "choices",
            text: button.text,
            ...(button.value !== undefined ? { value: button.value } : {}),
            type: "button",
            action_ts: nextTs(),
          },
        ],
      };
      return hub.enqueue(payload, payload, "interactive");
    },
    waitForCall(method, predicate = () => true, timeoutMs = DEFAULT_WAIT_MS) {
      return changes.until(
        () => calls.find((call) => call.method === method && predicate(call)),
        timeoutMs,
        `a ${method} call`,
      );
    },
    waitForEnvelope(predicate, timeoutMs = DEFAULT_WAIT_MS) {
      return changes.until(() => hub.envelopes.find(predicate), timeoutMs, "a matching envelope");
    },
    async waitForConnections(count, timeoutMs = DEFAULT_WAIT_MS) {
      await changes.until(
        () => (hub.connectionCount >= count ? true : undefined),
        timeoutMs,
        `${count} Socket Mode connections`,
      );
    },
    async waitForOpenConnections(count, timeoutMs = DEFAULT_WAIT_MS) {
      await changes.until(
        () => (hub.openConnections === count ? true : undefined),
        timeoutMs,
        `${count} open Socket Mode connections`,
      );
    },
    failNext(method, failure) {
      const queue = failures.get(method) ?? [];
      queue.push(failure);
      failures.set(method, queue);
    },
    revokeToken(token, error = "token_revoked") {
      tokenErrors.set(token, error);
    },
    dropConnections() {
      hub.drop();
    },
    requestRefresh() {
      hub.requestRefresh();
    },
    async close() {
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
