// Classifies Bot API failures: what is worth retrying, what means the token is bad.
import { GrammyError, HttpError } from "grammy";
import { TransientSendError } from "../channel.ts";

export function isUnauthorized(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 401;
}

/** Milliseconds Telegram asked us to wait (429 `retry_after`), if it did. */
export function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof GrammyError)) return undefined;
  const seconds = error.parameters.retry_after;
  return typeof seconds === "number" ? seconds * 1000 : undefined;
}

/** Rate limits, server errors and network failures may pass; a 4xx will not. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HttpError) return true;
  return error instanceof GrammyError && (error.error_code === 429 || error.error_code >= 500);
}

export function isEntityParseError(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    /can't parse entities/i.test(error.description)
  );
}

/** An edit to the text the message already has: what was asked for is there. */
export function isNotModified(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    /message is not modified/i.test(error.description)
  );
}

/** A delete of a message that no longer exists (or can no longer be deleted by the bot). */
export function isMessageGone(error: unknown): boolean {
  return (
    error instanceof GrammyError &&
    error.error_code === 400 &&
    /message to delete not found|message can't be deleted/i.test(error.description)
  );
}

export function describeError(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code}: ${error.description}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The error a send should throw: TransientSendError for what a later retry may fix. */
export function toSendError(error: unknown): unknown {
  if (!isTransient(error)) return error;
  return new TransientSendError(
    `Telegram send failed (${describeError(error)})`,
    retryAfterMs(error),
  );
}
