// What a closed WhatsApp connection means for the next step, by Baileys' status codes
// (its DisconnectReason), and how long to wait before trying again.
import { backoffMs } from "../../time/backoff.ts";

export type CloseVerdict =
  /** WhatsApp asks for a fresh connection, e.g. right after pairing (515). */
  | "restart"
  /** Transient: network, timeouts, server trouble; reconnect with backoff. */
  | "retry"
  /** The device was unlinked on the phone or its credentials are void (401). */
  | "logged_out"
  /** Another client logged in with the same credentials (440). */
  | "replaced"
  /** WhatsApp refuses this account (403), typically a ban. */
  | "forbidden";

/**
 * An HTTP answer instead of the WebSocket upgrade, shaped like Baileys' Boom errors so the
 * status reads as the close code Baileys itself would give it (401 logged out, 403, 5xx).
 */
export class UpgradeRefusedError extends Error {
  readonly output: { statusCode: number };

  constructor(statusCode: number) {
    super(`WebSocket upgrade refused with HTTP ${statusCode}`);
    this.name = "UpgradeRefusedError";
    this.output = { statusCode };
  }
}

export function closeStatusCode(error: unknown): number | undefined {
  const output = (error as { output?: { statusCode?: unknown } } | null | undefined)?.output;
  return typeof output?.statusCode === "number" ? output.statusCode : undefined;
}

export function closeVerdict(error: unknown): CloseVerdict {
  switch (closeStatusCode(error)) {
    case 515:
      return "restart";
    case 401:
      return "logged_out";
    case 440:
      return "replaced";
    case 403:
      return "forbidden";
    default:
      return "retry";
  }
}

export function describeClose(error: unknown): string {
  const code = closeStatusCode(error);
  const message = error instanceof Error ? error.message : String(error ?? "connection closed");
  return code === undefined ? message : `${code} ${message}`;
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * Capped exponential backoff with "equal jitter": at least half of the capped delay, so
 * retries never bunch up at zero, and at most all of it, so many clients spread out.
 */
export function reconnectDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const ceiling = backoffMs(attempt, options.baseMs, options.maxMs);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
