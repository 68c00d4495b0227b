// Limits guesses of the admin token: a few failures per client per minute, and a ceiling
// for everyone together, so that rotating through forged client addresses gains nothing.
import type { Context } from "hono";

export interface LoginLimitOptions {
  perClient: number;
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
    const waits: number[] = [];
    // Waits until enough failures have left the window to allow one more.
    if (mine.length >= this.options.perClient)
      waits.push(mine[mine.length - this.options.perClient]! - since);
    if (this.overall.length >= this.options.overall)
      waits.push(this.overall[this.overall.length - this.options.overall]! - since);
    return waits.length === 0 ? 0 : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
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
 * The client's address: behind a proxy (Railway) the last X-Forwarded-For hop, which the
 * proxy itself appended; otherwise the socket's peer.
 */
export function clientAddress(c: Context): string {
  const forwarded = c.req.header("x-forwarded-for");
  const last = forwarded?.split(",").at(-1)?.trim();
  if (last) return last;
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}
