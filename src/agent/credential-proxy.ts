// A loopback HTTP proxy between agents and the model API. Agents hold only a per-session
// token that this proxy issued; it swaps that for the real credential, streams the
// response back unbuffered and, on the side, counts tokens per group from the usage
// fields of the response. Before forwarding a model call it asks whether the call may go
// out at all (the daily budget) and answers a refusal itself. It forwards the Messages
// API and nothing else: with the real key, batches, files and the models list would be
// open to an agent, outside the budget and the meter.
import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  request as httpRequest,
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.ts";
import { registerSecret, unregisterSecret } from "../log.ts";
import { LogThrottle } from "../log-throttle.ts";
import { UsageMeter } from "./usage-meter.ts";
import type { UsageRecord } from "../store/usage.ts";

export interface Credential {
  apiKey?: string | undefined;
  authToken?: string | undefined;
}

export const DEFAULT_MODEL_URL = "https://api.anthropic.com";

/** Where model calls go and with what credential. */
export interface Upstream {
  url: string;
  credential: Credential;
}

export interface CredentialProxyOptions {
  upstream: string;
  credential: Credential;
  logger: Logger;
  onUsage(record: UsageRecord): void;
  /** Asked before each model call (e.g. the daily budget); a string refuses it with that reason. */
  refuse?(groupId: number): string | undefined;
}

// Hop-by-hop and credential headers never cross the proxy in either direction. The
// body's content-length does: the body is forwarded byte for byte (Node's parser holds a
// request to its declared length), so the upstream reads one sized body rather than
// chunked framing the proxy would add.
const DROPPED_REQUEST_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "transfer-encoding",
  "upgrade",
  "x-api-key",
  "authorization",
]);

export class CredentialProxy {
  private readonly options: CredentialProxyOptions;
  /** Issued tokens: the group each is for, and the upstream it is bound to when not the current one. */
  private readonly sessions = new Map<string, { groupId: number; upstream?: Upstream }>();
  private readonly server = createServer((req, res) => this.serve(req, res));
  private upstream: Upstream;
  // Agents retry refused calls in a loop; one line per kind per minute tells the owner.
  private readonly throttle: LogThrottle;
  url = "";

  constructor(options: CredentialProxyOptions) {
    this.options = options;
    this.upstream = this.checked({ url: options.upstream, credential: options.credential });
    this.throttle = new LogThrottle(options.logger);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.throttle.close();
  }

  /** Switches every later model call to a new upstream or credential (a running call finishes as it began). */
  setUpstream(upstream: Upstream): void {
    this.upstream = this.checked(upstream);
  }

  /**
   * A fresh token for one agent session; it is only good for that group. Bound to
   * `upstream`, it tries a credential before it is saved (the setup page's check).
   */
  issueToken(groupId: number, upstream?: Upstream): string {
    const token = `pincer-${randomBytes(24).toString("base64url")}`;
    this.sessions.set(
      token,
      upstream ? { groupId, upstream: this.checked(upstream) } : { groupId },
    );
    registerSecret(token);
    return token;
  }

  private checked(upstream: Upstream): Upstream {
    new URL(upstream.url);
    registerSecret(upstream.credential.apiKey);
    registerSecret(upstream.credential.authToken);
    return upstream;
  }

  revokeToken(token: string): void {
    this.sessions.delete(token);
    // Masking ends with the session, or the set would grow with every session ever run.
    unregisterSecret(token);
  }

  get hasCredential(): boolean {
    return Boolean(this.upstream.credential.apiKey || this.upstream.credential.authToken);
  }

  private sessionFor(req: IncomingMessage): { groupId: number; upstream?: Upstream } | undefined {
    const presented =
      (req.headers["x-api-key"] as string | undefined) ??
      req.headers.authorization?.replace(/^Bearer\s+/i, "");
    if (!presented) return undefined;
    const given = Buffer.from(presented);
    for (const [token, session] of this.sessions) {
      const expected = Buffer.from(token);
      if (expected.length === given.length && timingSafeEqual(expected, given)) return session;
    }
    return undefined;
  }

  // A throw in a request handler would be uncaught and end the whole service.
  private serve(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.handle(req, res);
    } catch (error) {
      req.resume();
      const message = error instanceof Error ? error.message : String(error);
      this.throttle.log(`failed:${errorKind(error)}`, "error", { err: message }, "proxy failed");
      if (!res.headersSent) writeError(res, 500, "api_error", `the proxy failed: ${message}`);
      else res.destroy();
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const session = this.sessionFor(req);
    if (session === undefined) {
      req.resume();
      writeError(res, 401, "authentication_error", "this proxy only accepts the tokens it issued");
      return;
    }
    const { groupId } = session;
    // Checked on the very string that is forwarded: nothing is decoded or normalised in
    // between, so `/./v1/messages` cannot pass as something else, or skip the budget.
    const path = req.url ?? "";
    const allowed = ALLOWED_TARGET.exec(path);
    if (!allowed || req.method !== "POST") {
      req.resume();
      const call = `${req.method} ${path.slice(0, 200)}`;
      this.throttle.log(`path:${groupId}`, "warn", { groupId }, `agent request refused: ${call}`);
      const message = `Pincer's proxy forwards only POST /v1/messages and POST /v1/messages/count_tokens, not ${call}`;
      if (allowed) writeError(res, 405, "invalid_request_error", message);
      else writeError(res, 404, "not_found_error", message);
      return;
    }
    // count_tokens is free; only a Messages call spends the budget.
    const refusal = allowed[1] === undefined ? this.options.refuse?.(groupId) : undefined;
    if (refusal) {
      req.resume();
      this.throttle.log(
        `refused:${groupId}`,
        "info",
        { groupId },
        `model call refused: ${refusal}`,
      );
      // 403 permission_error is final for the Claude CLI: it neither retries it (as it does
      // 429/5xx/529) nor re-sends a modified request (as it does some 400s), and the next
      // turn of the same session still tries again.
      writeError(res, 403, "permission_error", refusal);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !DROPPED_REQUEST_HEADERS.has(name)) headers[name] = value;
    }
    const upstream = session.upstream ?? this.upstream;
    const { apiKey, authToken } = upstream.credential;
    if (apiKey) headers["x-api-key"] = apiKey;
    else if (authToken) headers.authorization = `Bearer ${authToken}`;
    // Compressed bodies could not be metered; the loopback hop makes compression pointless.
    headers["accept-encoding"] = "identity";

    const target = new URL(upstream.url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const options = {
      method: "POST",
      headers,
      path: target.pathname.replace(/\/$/, "") + path,
    };
    const upstreamReq = send(target, options, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      // Every response is read for usage; error bodies and token counts simply carry none.
      const meter = new UsageMeter(String(upstreamRes.headers["content-type"] ?? ""));
      upstreamRes.on("data", (chunk: Buffer) => {
        meter.push(chunk);
        res.write(chunk);
      });
      upstreamRes.on("end", () => {
        res.end();
        const usage = meter.finish();
        if (usage) this.record({ ...usage, groupId, at: Date.now() });
      });
      upstreamRes.on("error", () => res.destroy());
    });
    upstreamReq.on("error", (error) => {
      this.options.logger.warn(
        { err: error.message, upstream: target.origin },
        "model API unreachable",
      );
      if (!res.headersSent)
        writeError(res, 502, "api_error", `model API unreachable: ${error.message}`);
      else res.destroy();
    });
    // The head goes out now, so the upstream parses it while the body is still arriving.
    upstreamReq.flushHeaders();
    req.pipe(upstreamReq);
  }

  // The answer has already reached the agent; a store that cannot take the record (a full
  // disk) must not take the service down with it.
  private record(usage: UsageRecord): void {
    try {
      this.options.onUsage(usage);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.throttle.log(
        `usage:${errorKind(error)}`,
        "error",
        { err: message, groupId: usage.groupId },
        `model usage not recorded: ${message}`,
      );
    }
  }
}

/**
 * The request targets an agent may use, as sent: the Messages API (group 1 empty) and its
 * token counter, with an optional plain query string (the Claude CLI sends `?beta=true`).
 */
const ALLOWED_TARGET = /^\/v1\/messages(\/count_tokens)?(?:\?[\w.~%&=+,-]*)?$/;

/** What a log throttle groups failures by: the error's code, else its class. */
function errorKind(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "unknown";
}

function writeError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ type: "error", error: { type, message } }));
}
