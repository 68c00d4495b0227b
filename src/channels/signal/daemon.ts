// The client side of signal-cli's HTTP daemon (`signal-cli -a ACCOUNT daemon --http HOST:PORT`):
// JSON-RPC 2.0 calls to POST /api/v1/rpc and the incoming envelopes as Server-Sent Events
// from GET /api/v1/events. The account is passed on every call so the same code works with a
// daemon serving several accounts (it ignores the parameter when it serves one).
import { EventSourceParserStream } from "eventsource-parser/stream";

/** An error the daemon answered with; `code` is signal-cli's (-1 user error, -5 rate limit…). */
export class SignalRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(method: string, code: number, message: string, data: unknown) {
    super(`signal-cli ${method} failed (${code}): ${message}`);
    this.name = "SignalRpcError";
    this.code = code;
    this.data = data;
  }
}

/** The daemon answered an HTTP status instead of JSON-RPC (400 on /events: no such account). */
export class SignalHttpError extends Error {
  readonly status: number;
  constructor(what: string, status: number) {
    super(`signal-cli ${what} answered HTTP ${status}`);
    this.name = "SignalHttpError";
    this.status = status;
  }
}

export const RATE_LIMIT_ERROR = -5;

/** One `receive` notification: `{ envelope, account }` as signal-cli prints it. */
export interface ReceivedEnvelope {
  envelope: Record<string, unknown>;
  account?: string;
}

export class SignalDaemon {
  readonly #url: string;
  readonly #account: string;
  #nextId = 1;

  /** `url` is the daemon's root, e.g. http://signal-cli:8080. */
  constructor(url: string, account: string) {
    this.#url = url.replace(/\/+$/, "");
    this.#account = account;
  }

  async call<T = unknown>(
    method: string,
    params: Record<string, unknown> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    const id = this.#nextId++;
    const response = await fetch(`${this.#url}/api/v1/rpc`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id,
        method,
        params: { account: this.#account, ...params },
      }),
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) throw new SignalHttpError(method, response.status);
    const body = (await response.json()) as {
      result?: T;
      error?: { code: number; message: string; data?: unknown };
    };
    if (body.error)
      throw new SignalRpcError(method, body.error.code, body.error.message, body.error.data);
    return body.result as T;
  }

  /** Opens the event stream; resolves once the daemon accepted it, yielding envelopes until it ends. */
  async events(signal: AbortSignal): Promise<AsyncIterable<ReceivedEnvelope>> {
    const query = new URLSearchParams({ account: this.#account });
    const response = await fetch(`${this.#url}/api/v1/events?${query}`, {
      headers: { Accept: "text/event-stream" },
      signal,
    });
    if (!response.ok || !response.body) throw new SignalHttpError("event stream", response.status);
    const messages = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    return (async function* () {
      for await (const message of messages) {
        if (message.event !== "receive") continue;
        yield JSON.parse(message.data) as ReceivedEnvelope;
      }
    })();
  }
}
