// Which failed sends are worth retrying. Baileys fails a send with a Boom error whose
// status code says why: the connection closed or timed out (retry after reconnecting),
// or the request itself was refused (retrying would fail the same way).
import { TransientSendError } from "../channel.ts";
import { closeStatusCode } from "./reconnect.ts";

const TRANSIENT_CODES = new Set([408, 428, 429, 440, 500, 502, 503, 504, 515]);

export function toSendError(error: unknown): Error {
  if (error instanceof TransientSendError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = closeStatusCode(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) {
    return new TransientSendError(`WhatsApp send failed (${code} ${message})`);
  }
  return error instanceof Error ? error : new Error(message);
}
