// How a failed Matrix call reads: for the outbox (rate limits, server errors and lost
// connections are worth retrying), for the sync loop (a revoked token ends it) and for the
// channel's state line.
import { ConnectionError, MatrixError } from "matrix-js-sdk";
import { TransientSendError } from "../channel.ts";

/** A failed call as the outbox reads it: rate limits, server errors and lost connections retry. */
export function toSendError(error: unknown): Error {
  if (error instanceof MatrixError) {
    const status = error.httpStatus ?? 0;
    if (status === 429 || error.errcode === "M_LIMIT_EXCEEDED") {
      const retryAfter = (error.data as { retry_after_ms?: unknown }).retry_after_ms;
      return new TransientSendError(
        error.message,
        typeof retryAfter === "number" ? retryAfter : undefined,
      );
    }
    if (status >= 500) return new TransientSendError(error.message);
    return error;
  }
  if (error instanceof ConnectionError || error instanceof TypeError)
    return new TransientSendError(`cannot reach the homeserver (${error.message})`);
  return error instanceof Error ? error : new Error(String(error));
}

/** The homeserver no longer takes the access token. */
export function isUnknownToken(error: unknown): boolean {
  return (
    error instanceof MatrixError &&
    (error.errcode === "M_UNKNOWN_TOKEN" || error.httpStatus === 401)
  );
}

/** A failure in a few words, for the channel's state. */
export function describe(error: unknown): string {
  if (error instanceof MatrixError)
    return `${error.httpStatus ?? ""} ${error.errcode ?? ""} ${error.data.error ?? ""}`.trim();
  return error instanceof Error ? error.message : String(error);
}
