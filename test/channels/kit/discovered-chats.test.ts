import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DiscoveredChats } from "../../../src/channels/kit/discovered-chats.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";

describe("DiscoveredChats", () => {
  it("announces a chat once, and again only when its name or kind changes", () => {
    const host = new RecordingHost();
    const chats = new DiscoveredChats();
    chats.announce(host, { chatId: "1", name: "Family", isGroup: true });
    chats.announce(host, { chatId: "1", name: "Family", isGroup: true });
    chats.announce(host, { chatId: "1", name: "Family 🏡", isGroup: true });
    chats.announce(host, { chatId: "2", name: "Family 🏡", isGroup: false });
    assert.deepEqual(
      host.discoveredChats.map((chat) => `${chat.chatId}:${chat.name}`),
      ["1:Family", "1:Family 🏡", "2:Family 🏡"],
    );
  });
});
