// The built-in web chat: always the owner's main group. Messages come in through the
// HTTP API; replies are "delivered" by being committed, and the HTTP layer streams them
// to browsers from the store, so a reconnecting page misses nothing. Files the agent sends
// stay in the host's copy, which the page downloads (web/chat-api.ts).
import { randomUUID } from "node:crypto";
import type { Db } from "../store/db.ts";
import { getGroupByChat, insertGroup, type Group } from "../store/groups.ts";
import type { Attachment, Channel, ChannelHost } from "./channel.ts";

export const WEB_CHAT_ID = "main";

/** The web chat's group, the owner's main one: made at the first start. */
export function webMainGroup(db: Db, assistantName: string): Group {
  return (
    getGroupByChat(db, "web", WEB_CHAT_ID) ??
    insertGroup(
      db,
      {
        channel: "web",
        chatId: WEB_CHAT_ID,
        folder: "main",
        name: "Main",
        trigger: `@${assistantName}`,
        requiresTrigger: false,
        isMain: true,
      },
      Date.now(),
    )
  );
}

export class WebChannel implements Channel {
  readonly name = "web" as const;
  readonly servesFiles = true;
  private host: ChannelHost | undefined;

  async start(host: ChannelHost): Promise<void> {
    this.host = host;
    host.setState({ status: "connected" });
  }

  async stop(): Promise<void> {
    this.host?.setState({ status: "stopped" });
    this.host = undefined;
  }

  async send(): Promise<string[]> {
    return [`web-${randomUUID()}`];
  }

  /** The page draws the buttons from the core's question events (chat-api.ts). */
  async sendChoices(): Promise<string[]> {
    return [`web-${randomUUID()}`];
  }

  /** The page takes the buttons off on the core's event; nothing to do here. */
  async closeChoices(): Promise<void> {}

  /** Takes a tap on a question's button in the web chat; resolves once it is handled. */
  async choose(choiceId: string, senderName: string): Promise<void> {
    if (!this.host) throw new Error("web chat is not running");
    await this.host.receive({
      type: "choice",
      chatId: WEB_CHAT_ID,
      messageId: "",
      senderId: "owner",
      senderName,
      choiceId,
    });
  }

  async sendFile(): Promise<string[]> {
    return [`web-${randomUUID()}`];
  }

  /** Takes a message typed (or recorded) in the web chat; resolves once it is committed. Returns its platform id. */
  async submit(text: string, senderName: string, attachments?: Attachment[]): Promise<string> {
    if (!this.host) throw new Error("web chat is not running");
    const messageId = randomUUID();
    await this.host.receive({
      type: "message",
      message: {
        chatId: WEB_CHAT_ID,
        messageId,
        senderId: "owner",
        senderName,
        text,
        timestamp: Date.now(),
        isGroup: false,
        mentionsBot: false,
        ...(attachments?.length ? { attachments } : {}),
      },
    });
    return messageId;
  }
}
