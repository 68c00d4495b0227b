// Timed round trips through a Discord chat on the loopback Discord fake: a message is
// injected on the fake's gateway and the reply counts as arrived when the fake receives
// the bot's POST of it, timestamped on the fake's side (the same process and clock as the
// bench). Gives the same RoundTrip as the web chat client, so both go through one report.
import { performance } from "node:perf_hooks";
import type { DiscordFake, UserInput } from "../test/fakes/discord/server.ts";
import type { ChatClient, RoundTrip } from "./chat-client.ts";

export const BENCH_GUILD = "290000000000000001";
export const BENCH_OWNER: UserInput = {
  id: "590000000000000001",
  username: "owner",
  global_name: "Owner",
};

/** A chat client for one Discord channel (a DM when `guildId` is undefined). */
export function discordChat(
  discord: DiscordFake,
  channelId: string,
  guildId: string | undefined,
): ChatClient {
  // Where to look for the next reply: calls before it belong to earlier messages.
  let seen = 0;
  const postPath = `/channels/${channelId}/messages`;
  return {
    async roundTrip(text, marker, timeoutMs = 120_000): Promise<RoundTrip> {
      const sentAt = performance.now();
      discord.injectMessage({
        channelId,
        ...(guildId ? { guildId } : {}),
        author: BENCH_OWNER,
        content: text,
      });
      const find = () => {
        for (let i = seen; i < discord.calls.length; i++) {
          const call = discord.calls[i]!;
          if (call.method !== "POST" || call.path !== postPath) continue;
          if (!String((call.body as { content?: string }).content).includes(marker)) continue;
          return { call, index: i };
        }
        return undefined;
      };
      await discord.waitFor(() => find() !== undefined, timeoutMs, `a reply with ${marker}`);
      const { call, index } = find()!;
      seen = index + 1;
      const repliedAt = call.at - performance.timeOrigin;
      return {
        sentAt,
        acceptedAt: sentAt,
        repliedAt,
        firstDeltaAt: undefined,
        ms: repliedAt - sentAt,
      };
    },
    async close() {},
  };
}
