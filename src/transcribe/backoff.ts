// How long to wait before asking a transcription endpoint again: what the server asked
// for when it said so, else exponential backoff with a ceiling.

/**
 * The wait a response asks for, in milliseconds. OpenAI sends `retry-after-ms` besides the
 * standard `Retry-After` (seconds or an HTTP date); the more precise one wins.
 */
export function requestedDelayMs(headers: Headers, now = Date.now()): number | undefined {
  const precise = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(precise) && precise >= 0) return precise;
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait after failed attempt number `attempt` (1-based) when the server named none. */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}
