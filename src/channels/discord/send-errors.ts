// Which failed Discord calls are worth retrying. Rate limits never get here: discord.js's
// REST queue waits them out. Server errors arrive as HTTPError once discord.js has used up
// its own retries; network failures and timeouts as plain errors. A DiscordAPIError (4xx:
// missing permission, unknown channel, invalid body) would fail the same way again.
import { DiscordAPIError } from "discord.js";
import { TransientSendError } from "../channel.ts";

export function toSendError(error: unknown): Error {
  if (error instanceof DiscordAPIError && error.status < 500) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new TransientSendError(`Discord request failed: ${reason}`);
}
