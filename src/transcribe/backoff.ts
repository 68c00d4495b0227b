// How long a transcription endpoint asked to wait before it is asked again (without an
// answer the transcriber backs off with time/backoff.ts).

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
