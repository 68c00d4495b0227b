// Cached look-ups of user display names (users.info) and conversations
// (conversations.info), so a busy channel costs one API call per user and per channel an
// hour rather than one per message. A failed look-up falls back to the id and is not cached.
import type { webApi } from "@slack/bolt";
import type { Logger } from "../../log.ts";

export interface ConversationInfo {
  name: string;
  isIm: boolean;
}

interface Entry<T> {
  value: Promise<T>;
  expires: number;
}

const TTL_MS = 60 * 60 * 1000;

interface SlackUser {
  name?: string;
  real_name?: string;
  profile?: { display_name?: string; real_name?: string };
}

interface SlackConversation {
  name?: string;
  is_im?: boolean;
}

export class SlackDirectory {
  private readonly web: webApi.WebClient;
  private readonly logger: Logger;
  private readonly users = new Map<string, Entry<string>>();
  private readonly conversations = new Map<string, Entry<ConversationInfo>>();

  constructor(web: webApi.WebClient, logger: Logger) {
    this.web = web;
    this.logger = logger;
  }

  userName(userId: string): Promise<string> {
    return this.cached(this.users, userId, userId, async () => {
      const user = (await this.web.users.info({ user: userId })).user as SlackUser | undefined;
      return (
        user?.profile?.display_name ||
        user?.profile?.real_name ||
        user?.real_name ||
        user?.name ||
        userId
      );
    });
  }

  conversation(channelId: string, channelType?: string): Promise<ConversationInfo> {
    // An IM has no name of its own (the core names it after the person), so skip the call.
    if (channelType === "im") return Promise.resolve({ name: channelId, isIm: true });
    const fallback = { name: channelId, isIm: channelId.startsWith("D") };
    return this.cached(this.conversations, channelId, fallback, async () => {
      const channel = (await this.web.conversations.info({ channel: channelId }))
        .channel as SlackConversation;
      return { name: channel.name ?? channelId, isIm: Boolean(channel.is_im) };
    });
  }

  private cached<T>(
    cache: Map<string, Entry<T>>,
    key: string,
    fallback: T,
    load: () => Promise<T>,
  ): Promise<T> {
    const hit = cache.get(key);
    if (hit && hit.expires > Date.now()) return hit.value;
    const value = load().catch((error: unknown) => {
      cache.delete(key);
      this.logger.warn({ err: error, key }, "Slack look-up failed; using the id");
      return fallback;
    });
    cache.set(key, { value, expires: Date.now() + TTL_MS });
    return value;
  }
}
