// Capped exponential backoff, the one formula every retry loop uses (channels' reconnects
// and stores, the outbox, transcription). Callers add their own jitter or honour a
// server's Retry-After on top.

/**
 * The wait before retry number `attempt` (1-based): `baseMs` first, doubling each time,
 * never over `maxMs`. An attempt below 1 waits like the first.
 */
export function backoffMs(
  attempt: number,
  baseMs: number,
  maxMs = Number.POSITIVE_INFINITY,
): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
