// The built-in web chat: always the owner's main group. Messages come in through the
// HTTP API; replies are "delivered" by being committed, and the HTTP layer streams them
// to browsers from the store, so a reconnecting page misses nothing.
import { randomUUID } from "node:crypto";
import type { Attachment, Channel, ChannelHost } from "./channel.ts";

export const WEB_CHAT_ID = "main";

export class WebChannel implements Channel {
  readonly name = "web" as const;
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
