// Classifies @slack/web-api errors: which ones mean "the token is bad" (stop and say so),
// which are worth retrying (rate limits, 5xx, network), and which are final.
import { webApi } from "@slack/bolt";
import { TransientSendError } from "../channel.ts";

const AUTH_ERRORS = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "not_allowed_token_type",
  "user_removed_from_team",
  "team_disabled",
]);

const TRANSIENT_PLATFORM_ERRORS = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

export function platformErrorCode(error: unknown): string | undefined {
  return error instanceof webApi.WebAPIPlatformError ? String(error.data.error) : undefined;
}

export function isAuthError(error: unknown): boolean {
  return AUTH_ERRORS.has(platformErrorCode(error) ?? "");
}

export function describeError(error: unknown): string {
  const code = platformErrorCode(error);
  if (code !== undefined) return code;
  if (error instanceof Error) return error.message;
  return error === undefined ? "connection closed" : String(error);
}

/** How long Slack asked us to wait, when it did. */
export function retryAfterMs(error: unknown): number | undefined {
  return error instanceof webApi.WebAPIRateLimitedError ? error.retryAfter * 1000 : undefined;
}

export function isTransient(error: unknown): boolean {
  if (error instanceof webApi.WebAPIRateLimitedError || error instanceof webApi.WebAPIRequestError)
    return true;
  if (error instanceof webApi.WebAPIHTTPError)
    return error.statusCode >= 500 || error.statusCode === 408;
  return TRANSIENT_PLATFORM_ERRORS.has(platformErrorCode(error) ?? "");
}

/** The error a send should throw: TransientSendError when a later retry may succeed. */
export function toSendError(error: unknown, method: string): Error {
  const message = `Slack ${method} failed: ${describeError(error)}`;
  if (isTransient(error)) return new TransientSendError(message, retryAfterMs(error));
  return new Error(message, { cause: error });
}
