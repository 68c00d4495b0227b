// A loopback fake of signal-cli's HTTP daemon (`signal-cli -a ACCOUNT daemon --http`), written
// from signal-cli's man pages (signal-cli(1), signal-cli-jsonrpc(5)) and its JSON classes:
//   POST /api/v1/rpc     one JSON-RPC 2.0 request or a batch; methods send, sendReaction,
//                        sendTyping, remoteDelete, getAttachment, listGroups, version
//   GET  /api/v1/events  Server-Sent Events, one `event:receive` per incoming envelope with
//                        `data:{"envelope":{...},"account":"+..."}`, `:` keep-alives
//   GET  /api/v1/check   200 while the daemon runs
// A test injects envelopes shaped like signal-cli's (dataMessage, editMessage, remoteDelete,
// quote, mentions, groupInfo, attachments) and reads what the client sent. Envelopes injected
// while no event stream is open are held until one opens, as the Signal server holds them
// until a receiver connects.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SignalPerson {
  number: string;
  uuid: string;
  name: string;
}

export interface FakeMention {
  /** UTF-16 offsets into the text, over the U+FFFC placeholder the apps put there. */
  start: number;
  length: number;
  number: string;
  uuid: string;
}

export interface FakeAttachment {
  id: string;
  contentType: string;
  filename: string | null;
  size: number;
  bytes: Uint8Array;
}

export interface InjectedMessage {
  from: SignalPerson;
  text: string;
  group?: { id: string; name: string };
  mentions?: FakeMention[];
  quote?: { timestamp: number; author: SignalPerson; text: string };
  attachments?: Omit<FakeAttachment, "id" | "size">[];
}

export interface RpcCall {
  method: string;
  params: Record<string, unknown>;
}

export interface SentMessage {
  timestamp: number;
  /** The direct recipient, or undefined for a group send. */
  recipient?: string;
  groupId?: string;
  message: string;
  attachments: string[];
  quoteTimestamp?: number;
  editTimestamp?: number;
}

export interface RpcFailure {
  code: number;
  message: string;
  data?: unknown;
  /** Answer this many calls normally first. */
  skip?: number;
}

export interface SignalFake {
  url: string;
  account: string;
  readonly calls: RpcCall[];
  readonly sent: SentMessage[];
  /** Delivers a message envelope; resolves with its timestamp (Signal's message id). */
  injectMessage(message: InjectedMessage): number;
  injectEdit(
    from: SignalPerson,
    targetTimestamp: number,
    text: string,
    group?: { id: string; name: string },
  ): number;
  injectDelete(
    from: SignalPerson,
    targetTimestamp: number,
    group?: { id: string; name: string },
  ): number;
  /** Any envelope, as signal-cli would print it. */
  injectEnvelope(envelope: Record<string, unknown>): void;
  /** The bot's current reaction on a message, by chat (number or group id) and timestamp. */
  reactionOn(chat: string, targetTimestamp: number): string | undefined;
  failNext(method: string, failure: RpcFailure): void;
  /** Resolves once a call matching `predicate` was answered. */
  waitForCall(method: string, predicate?: (call: RpcCall) => boolean): Promise<RpcCall>;
  /** Resolves once an event stream is open. */
  waitForStream(): Promise<void>;
  /** Closes every open event stream, as a restarting daemon would. */
  dropStreams(): void;
  close(): Promise<void>;
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    request.on("error", reject);
  });
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export async function startSignalFake(options: {
  account: string;
  /** false: the daemon knows no such account (not registered or linked yet). */
  registered?: boolean;
}): Promise<SignalFake> {
  const { account } = options;
  const registered = options.registered ?? true;
  const calls: RpcCall[] = [];
  const sent: SentMessage[] = [];
  const reactions = new Map<string, string>();
  const attachments = new Map<string, FakeAttachment>();
  const failures = new Map<string, RpcFailure[]>();
  const streams = new Set<ServerResponse>();
  const held: string[] = [];
  const listeners = new Set<() => void>();
  let clock = Date.now();
  let attachmentCounter = 0;
  const nextTimestamp = () => (clock = Math.max(clock + 1, Date.now()));
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const waitUntil = <T>(check: () => T | undefined): Promise<T> =>
    new Promise((resolve) => {
      const listener = () => {
        const value = check();
        if (value === undefined) return;
        listeners.delete(listener);
        resolve(value);
      };
      listeners.add(listener);
      listener();
    });

  const emit = (envelope: Record<string, unknown>) => {
    const line = `event:receive\ndata:${JSON.stringify({ envelope, account })}\n\n`;
    if (streams.size === 0) held.push(line);
    for (const stream of streams) stream.write(line);
  };

  const envelopeFrom = (from: SignalPerson, timestamp: number) => ({
    source: from.number,
    sourceNumber: from.number,
    sourceUuid: from.uuid,
    sourceName: from.name,
    sourceDevice: 1,
    timestamp,
    serverReceivedTimestamp: timestamp,
    serverDeliveredTimestamp: timestamp,
  });

  const groupInfo = (group?: { id: string; name: string }) =>
    group
      ? { groupInfo: { groupId: group.id, groupName: group.name, revision: 1, type: "DELIVER" } }
      : {};

  const rpc = (call: RpcCall): unknown => {
    const { method, params } = call;
    const chatOf = () =>
      params.groupId ? String(params.groupId) : (list(params.recipient)[0] ?? "");
    switch (method) {
      case "version":
        return { version: "0.13.99-fake" };
      case "send": {
        const timestamp = nextTimestamp();
        sent.push({
          timestamp,
          ...(params.groupId
            ? { groupId: String(params.groupId) }
            : { recipient: list(params.recipient)[0] }),
          message: typeof params.message === "string" ? params.message : "",
          attachments: [...list(params.attachment), ...list(params.attachments)],
          ...(params.quoteTimestamp !== undefined
            ? { quoteTimestamp: Number(params.quoteTimestamp) }
            : {}),
          ...(params.editTimestamp !== undefined
            ? { editTimestamp: Number(params.editTimestamp) }
            : {}),
        });
        const recipients = params.groupId ? [] : list(params.recipient);
        return {
          timestamp,
          results: recipients.map((number) => ({ recipientAddress: { number }, type: "SUCCESS" })),
        };
      }
      case "sendReaction": {
        const key = `${chatOf()}\u0000${Number(params.targetTimestamp)}`;
        if (params.remove) reactions.delete(key);
        else reactions.set(key, String(params.emoji));
        return { timestamp: nextTimestamp(), results: [] };
      }
      case "sendTyping":
      case "remoteDelete":
        return { timestamp: nextTimestamp(), results: [] };
      case "getAttachment": {
        const attachment = attachments.get(String(params.id));
        if (!attachment) throw Object.assign(new Error("Attachment file not found"), { code: -1 });
        return { data: Buffer.from(attachment.bytes).toString("base64") };
      }
      case "listGroups":
        return [];
      default:
        throw Object.assign(new Error(`Method not implemented: ${method}`), { code: -32601 });
    }
  };

  const answer = (request: unknown): unknown => {
    const { id, method, params } = (request ?? {}) as {
      id?: unknown;
      method?: unknown;
      params?: unknown;
    };
    if (typeof method !== "string")
      return {
        jsonrpc: "2.0",
        error: { code: -32600, message: "method field must be set", data: null },
        id: null,
      };
    const call: RpcCall = { method, params: (params ?? {}) as Record<string, unknown> };
    calls.push(call);
    try {
      if (!registered || (call.params.account !== undefined && call.params.account !== account))
        throw Object.assign(new Error(`Specified account does not exist`), { code: -1 });
      const queue = failures.get(method);
      const failure = queue?.[0];
      if (failure) {
        if (failure.skip) failure.skip -= 1;
        else {
          queue.shift();
          return {
            jsonrpc: "2.0",
            error: { code: failure.code, message: failure.message, data: failure.data ?? null },
            id,
          };
        }
      }
      return { jsonrpc: "2.0", result: rpc(call), id };
    } catch (error) {
      const { code = -32603, message } = error as { code?: number; message: string };
      return { jsonrpc: "2.0", error: { code, message, data: null }, id };
    } finally {
      queueMicrotask(notify);
    }
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/api/v1/check" && request.method === "GET") {
      response.writeHead(200).end();
      return;
    }
    if (url.pathname === "/api/v1/events" && request.method === "GET") {
      const wanted = url.searchParams.get("account");
      if (!registered || (wanted && wanted !== account)) {
        response.writeHead(400).end();
        return;
      }
      response.writeHead(200, { "Content-Type": "text/event-stream" });
      response.flushHeaders();
      streams.add(response);
      for (const line of held.splice(0)) response.write(line);
      response.on("close", () => streams.delete(response));
      notify();
      return;
    }
    if (url.pathname === "/api/v1/rpc" && request.method === "POST") {
      if (!request.headers["content-type"]?.startsWith("application/json")) {
        response.writeHead(415).end();
        return;
      }
      void readJson(request).then(
        (body) => {
          const result = Array.isArray(body) ? body.map(answer) : answer(body);
          response
            .writeHead(200, { "Content-Type": "application/json" })
            .end(JSON.stringify(result));
        },
        () => {
          const error = {
            jsonrpc: "2.0",
            error: { code: -32700, message: "Parse error", data: null },
            id: null,
          };
          response
            .writeHead(200, { "Content-Type": "application/json" })
            .end(JSON.stringify(error));
        },
      );
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    account,
    calls,
    sent,
    injectMessage(message) {
      const timestamp = nextTimestamp();
      const files = (message.attachments ?? []).map((file) => {
        attachmentCounter += 1;
        const stored = { ...file, id: `att${attachmentCounter}.bin`, size: file.bytes.byteLength };
        attachments.set(stored.id, stored);
        return {
          contentType: stored.contentType,
          filename: stored.filename,
          id: stored.id,
          size: stored.size,
        };
      });
      emit({
        ...envelopeFrom(message.from, timestamp),
        dataMessage: {
          timestamp,
          message: message.text,
          expiresInSeconds: 0,
          viewOnce: false,
          ...(message.mentions
            ? { mentions: message.mentions.map((m) => ({ name: m.number, ...m })) }
            : {}),
          ...(files.length ? { attachments: files } : {}),
          ...(message.quote
            ? {
                quote: {
                  id: message.quote.timestamp,
                  author: message.quote.author.number,
                  authorNumber: message.quote.author.number,
                  authorUuid: message.quote.author.uuid,
                  text: message.quote.text,
                  attachments: [],
                },
              }
            : {}),
          ...groupInfo(message.group),
        },
      });
      return timestamp;
    },
    injectEdit(from, targetTimestamp, text, group) {
      const timestamp = nextTimestamp();
      emit({
        ...envelopeFrom(from, timestamp),
        editMessage: {
          targetSentTimestamp: targetTimestamp,
          dataMessage: {
            timestamp,
            message: text,
            expiresInSeconds: 0,
            viewOnce: false,
            ...groupInfo(group),
          },
        },
      });
      return timestamp;
    },
    injectDelete(from, targetTimestamp, group) {
      const timestamp = nextTimestamp();
      emit({
        ...envelopeFrom(from, timestamp),
        dataMessage: {
          timestamp,
          message: null,
          expiresInSeconds: 0,
          viewOnce: false,
          remoteDelete: { timestamp: targetTimestamp },
          ...groupInfo(group),
        },
      });
      return timestamp;
    },
    injectEnvelope: emit,
    reactionOn: (chat, targetTimestamp) => reactions.get(`${chat}\u0000${targetTimestamp}`),
    failNext(method, failure) {
      failures.set(method, [...(failures.get(method) ?? []), { ...failure }]);
    },
    waitForCall: (method, predicate = () => true) =>
      waitUntil(() => calls.find((call) => call.method === method && predicate(call))),
    waitForStream: () =>
      waitUntil(() => (streams.size > 0 ? true : undefined)).then(() => undefined),
    dropStreams() {
      for (const stream of streams) stream.destroy();
      streams.clear();
    },
    async close() {
      for (const stream of streams) stream.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
