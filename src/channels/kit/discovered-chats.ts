// Adapters see the same chat on every message; the core hears about a chat again only when
// its name or kind changed, so the chats table is not rewritten per message.
import type { ChannelHost, DiscoveredChat } from "../channel.ts";

export class DiscoveredChats {
  readonly #seen = new Map<string, string>();

  announce(host: ChannelHost | null | undefined, chat: DiscoveredChat): void {
    const key = `${chat.name}\u0000${chat.isGroup}`;
    if (this.#seen.get(chat.chatId) === key) return;
    this.#seen.set(chat.chatId, key);
    host?.discovered(chat);
  }
}
