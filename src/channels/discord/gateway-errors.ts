// Why a Discord connection ended for good, in words the setup page shows: a rejected token
// at login, or a gateway close code after which discord.js does not reconnect.
import { GatewayCloseCodes } from "discord.js";

export const TOKEN_REJECTED =
  "Discord rejected the bot token (401 Unauthorized); set a valid bot token and restart";

const FATAL_CLOSE_DETAILS: Partial<Record<number, string>> = {
  [GatewayCloseCodes.AuthenticationFailed]:
    "Discord rejected the bot token (gateway close 4004); set a valid bot token and restart",
  [GatewayCloseCodes.DisallowedIntents]:
    "Discord refused the Message Content intent (gateway close 4014); enable it under Bot → Privileged Gateway Intents in the Discord developer portal",
};

export function fatalCloseDetail(code: number): string {
  return (
    FATAL_CLOSE_DETAILS[code] ??
    `Discord closed the gateway with code ${code} (${GatewayCloseCodes[code] ?? "unknown"}) and will not reconnect`
  );
}
