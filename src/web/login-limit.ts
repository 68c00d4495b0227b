// Limits guesses of the admin token. Only failures count, per client: a few per minute,
// and while many clients fail at once (guesses spread over many addresses) a single one
// each. A client without failures is never refused, so nobody can lock the owner out by
// failing from elsewhere. A blocked client's requests are refused without looking at the
// token: checking it anyway would answer every guess, and the limit would slow nothing.
import { isIPv6 } from "node:net";
import type { Context } from "hono";

export interface LoginLimitOptions {
  perClient: number;
  /** Failures of all clients together in a window beyond which each client gets one. */
  overall: number;
  windowMs: number;
}

const MAX_CLIENTS = 10_000;

export class LoginLimiter {
  private readonly options: LoginLimitOptions;
  private readonly byClient = new Map<string, number[]>();
  private overall: number[] = [];

  constructor(options: LoginLimitOptions = { perClient: 5, overall: 30, windowMs: 60_000 }) {
    this.options = options;
  }

  /** Whole seconds to wait before the next attempt, or 0 when one may be made now. */
  retryAfter(client: string, now: number): number {
    const since = now - this.options.windowMs;
    this.overall = this.overall.filter((at) => at > since);
    const mine = (this.byClient.get(client) ?? []).filter((at) => at > since);
    if (mine.length === 0) this.byClient.delete(client);
    else this.byClient.set(client, mine);
    const allowed = this.overall.length >= this.options.overall ? 1 : this.options.perClient;
    if (mine.length < allowed) return 0;
    // Waits until enough of this client's failures have left the window to allow one more.
    return Math.max(1, Math.ceil((mine[mine.length - allowed]! - since) / 1000));
  }

  failed(client: string, now: number): void {
    this.overall.push(now);
    const mine = this.byClient.get(client) ?? [];
    mine.push(now);
    this.byClient.delete(client);
    this.byClient.set(client, mine);
    if (this.byClient.size > MAX_CLIENTS) {
      const oldest = this.byClient.keys().next().value;
      if (oldest !== undefined) this.byClient.delete(oldest);
    }
  }

  succeeded(client: string): void {
    this.byClient.delete(client);
  }
}

/**
 * The client a request counts as. Without trusted proxies it is the socket's peer: any
 * X-Forwarded-For is written by the client itself. Each trusted proxy (TRUST_PROXY, e.g.
 * 1 on Railway) appends the address it received the request from, so the client is that
 * many entries from the right; entries further left are the client's own words.
 */
export function clientAddress(c: Context, trustedProxies: number): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const chain = [env?.incoming?.socket?.remoteAddress ?? "unknown"];
  if (trustedProxies > 0) {
    const forwarded = (c.req.header("x-forwarded-for") ?? "").split(",");
    chain.push(
      ...forwarded
        .map((hop) => hop.trim())
        .filter(Boolean)
        .reverse(),
    );
  }
  return clientOf(chain[Math.min(trustedProxies, chain.length - 1)]!);
}

/** One host is given a whole IPv6 /64: it counts as one client. */
function clientOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = "", tail] = address.split("%")[0]!.toLowerCase().split("::");
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 address at the end stands for two groups; only the first four matter.
  const width = right.reduce((sum, group) => sum + (group.includes(".") ? 2 : 1), 0);
  const zeros = Array<string>(Math.max(0, 8 - left.length - width)).fill("0");
  const prefix = [...left, ...zeros, ...right].slice(0, 4);
  return `${prefix.map((group) => group.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
