// A loopback HTTP proxy between agents and the model API. Agents hold only a per-session
// token that this proxy issued; it swaps that for the real credential, streams the
// response back unbuffered and, on the side, counts tokens per group from the usage
// fields of the response. Before forwarding a model call it asks whether the call may go
// out at all (the daily budget) and answers a refusal itself.
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
import { registerSecret } from "../log.ts";
import { UsageMeter } from "./usage-meter.ts";
import type { UsageRecord } from "../store/usage.ts";

export interface Credential {
  apiKey?: string | undefined;
  authToken?: string | undefined;
}

export interface CredentialProxyOptions {
  upstream: string;
  credential: Credential;
  logger: Logger;
  onUsage(record: UsageRecord): void;
  /** Asked before each model call (e.g. the daily budget); a string refuses it with that reason. */
  refuse?(groupId: number): string | undefined;
}

// Hop-by-hop and credential headers never cross the proxy in either direction.
const DROPPED_REQUEST_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-authorization",
  "transfer-encoding",
  "upgrade",
  "x-api-key",
  "authorization",
  "content-length",
]);

export class CredentialProxy {
  private readonly options: CredentialProxyOptions;
  private readonly sessions = new Map<string, number>();
  private readonly server = createServer((req, res) => this.handle(req, res));
  private readonly upstream: URL;
  url = "";

  constructor(options: CredentialProxyOptions) {
    this.options = options;
    this.upstream = new URL(options.upstream);
    registerSecret(options.credential.apiKey);
    registerSecret(options.credential.authToken);
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
  }

  /** A fresh token for one agent session; it is only good for that group. */
  issueToken(groupId: number): string {
    const token = `pincer-${randomBytes(24).toString("base64url")}`;
    this.sessions.set(token, groupId);
    registerSecret(token);
    return token;
  }

  revokeToken(token: string): void {
    this.sessions.delete(token);
  }

  get hasCredential(): boolean {
    return Boolean(this.options.credential.apiKey || this.options.credential.authToken);
  }

  private groupFor(req: IncomingMessage): number | undefined {
    const presented =
      (req.headers["x-api-key"] as string | undefined) ??
      req.headers.authorization?.replace(/^Bearer\s+/i, "");
    if (!presented) return undefined;
    const given = Buffer.from(presented);
    for (const [token, groupId] of this.sessions) {
      const expected = Buffer.from(token);
      if (expected.length === given.length && timingSafeEqual(expected, given)) return groupId;
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const groupId = this.groupFor(req);
    if (groupId === undefined) {
      req.resume();
      writeError(res, 401, "authentication_error", "this proxy only accepts the tokens it issued");
      return;
    }
    const refusal = isModelCall(req) ? this.options.refuse?.(groupId) : undefined;
    if (refusal) {
      req.resume();
      this.options.logger.info({ groupId }, `model call refused: ${refusal}`);
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
    const { apiKey, authToken } = this.options.credential;
    if (apiKey) headers["x-api-key"] = apiKey;
    else if (authToken) headers.authorization = `Bearer ${authToken}`;
    // Compressed bodies could not be metered; the loopback hop makes compression pointless.
    headers["accept-encoding"] = "identity";

    // Only a path may come from the agent: an absolute or scheme-relative request target
    // would otherwise carry the real credential to a host of the agent's choosing.
    const path = req.url ?? "/";
    if (!path.startsWith("/") || path.startsWith("//")) {
      req.resume();
      writeError(res, 400, "invalid_request_error", "the proxy only forwards paths");
      return;
    }
    const target = new URL(this.upstream.href);
    const [pathname, query] = splitOnce(path, "?");
    target.pathname = this.upstream.pathname.replace(/\/$/, "") + pathname;
    target.search = query === undefined ? "" : `?${query}`;
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const upstreamReq = send(target, { method: req.method, headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      const meter =
        req.method === "POST" &&
        (req.url ?? "").startsWith("/v1/messages") &&
        upstreamRes.statusCode === 200
          ? new UsageMeter(String(upstreamRes.headers["content-type"] ?? ""))
          : undefined;
      upstreamRes.on("data", (chunk: Buffer) => {
        meter?.push(chunk);
        res.write(chunk);
      });
      upstreamRes.on("end", () => {
        res.end();
        const usage = meter?.finish();
        if (usage) this.options.onUsage({ ...usage, groupId, at: Date.now() });
      });
      upstreamRes.on("error", () => res.destroy());
    });
    upstreamReq.on("error", (error) => {
      this.options.logger.warn(
        { err: error.message, upstream: this.upstream.origin },
        "model API unreachable",
      );
      if (!res.headersSent)
        writeError(res, 502, "api_error", `model API unreachable: ${error.message}`);
      else res.destroy();
    });
    req.pipe(upstreamReq);
  }
}

/** A call that costs tokens: POST /v1/messages, not /v1/messages/count_tokens. */
function isModelCall(req: IncomingMessage): boolean {
  return req.method === "POST" && splitOnce(req.url ?? "", "?")[0] === "/v1/messages";
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function writeError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ type: "error", error: { type, message } }));
}
