// The WhatsApp channel: sends, reactions, typing and inbound messages over the link
// (link.ts: pairing, reconnects, the auth state). Sends are paced; a later chunk of a reply
// waits for a reconnect instead of failing the whole reply.
import type { AnyMessageContent, WAMessage, WAMessageKey, proto } from "baileys";
import type {
  Channel,
  ChannelHost,
  ChannelStatus,
  OutboundFile,
  PairingPrompt,
  SendFileOptions,
  SendOptions,
} from "../channel.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { InboundQueue } from "../kit/inbound-queue.ts";
import { sendPieces } from "../kit/reply-pieces.ts";
import { TypingRefresher } from "../kit/typing-refresher.ts";
import { splitMessage } from "../split.ts";
import { readFile } from "node:fs/promises";
import type { Logger } from "../../log.ts";
import { WHATSAPP_MEDIA_MAX_BYTES } from "../file-limits.ts";
import { isPlainImage } from "../mime.ts";
import { attachmentsOf, DEFAULT_MAX_ATTACHMENT_BYTES, type MediaSource } from "./attachments.ts";
import { markdownToWhatsApp } from "./format.ts";
import { GroupDirectory } from "./group-directory.ts";
import { jidUser } from "./identity.ts";
import { toInboundEvent, type InboundContext } from "./inbound.ts";
import { WhatsAppLink, type Timers } from "./link.ts";
import { RecentMap } from "./recent-map.ts";
import { toSendError } from "./send-errors.ts";
import { SendPacer } from "./send-pacer.ts";
import { baileysSocketFactory, type WhatsAppSocket, type WhatsAppSocketFactory } from "./socket.ts";

export type { Timers } from "./link.ts";

export interface WhatsAppChannelOptions {
  /** Where the link (keys and sessions) lives, e.g. DATA_DIR/store/channels/whatsapp/. */
  authDir: string;
  /** The assistant's own number in international format; links by pairing code instead of QR. */
  phone?: string;
  /** Baileys' waWebSocketUrl, for tests and proxies. */
  wsUrl?: string;
  assistantName: string;
  logger: Logger;
  maxAttachmentBytes?: number;
  socketFactory?: WhatsAppSocketFactory;
  /** Least time between two outbound messages, varied by ± sendJitterMs. */
  sendGapMs?: number;
  sendJitterMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  timers?: Timers;
  random?: () => number;
}

const SPLIT_LIMIT = 4000;
/** WhatsApp drops "typing…" after about 25 seconds without a refresh. */
const TYPING_REFRESH_MS = 10_000;
const DEFAULT_SEND_GAP_MS = 1000;
const DEFAULT_SEND_JITTER_MS = 250;
const DEFAULT_RECONNECT_BASE_MS = 1000;
const DEFAULT_RECONNECT_MAX_MS = 60_000;
/** A later chunk of a reply waits this long for a reconnect, this many times, before failing. */
const CHUNK_ATTEMPTS = 3;
const CHUNK_RECONNECT_WAIT_MS = 60_000;
const RECENT_MESSAGES = 1000;
const KNOWN_NAMES = 5000;

interface RecentMessage {
  chatId: string;
  message: WAMessage;
}

export class WhatsAppChannel implements Channel {
  readonly name = "whatsapp" as const;
  private readonly assistantName: string;
  private readonly log: Logger;
  private readonly link: WhatsAppLink;
  private readonly maxAttachmentBytes: number;
  private readonly pacer: SendPacer;
  private readonly groups: GroupDirectory;
  private readonly names = new RecentMap<string, string>(KNOWN_NAMES);
  /** Received messages, for quoting and reacting to them. */
  private readonly received = new RecentMap<string, RecentMessage>(RECENT_MESSAGES);
  /** Sent messages, so Baileys can re-encrypt one a recipient failed to decrypt. */
  private readonly sent = new RecentMap<string, proto.IMessage>(RECENT_MESSAGES);
  private readonly chats = new DiscoveredChats();
  private readonly typing: TypingRefresher;
  private readonly inbound: InboundQueue;
  private host: ChannelHost | null = null;

  constructor(options: WhatsAppChannelOptions) {
    this.assistantName = options.assistantName;
    this.log = options.logger.child({ channel: "whatsapp" });
    this.maxAttachmentBytes = options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
    const random = options.random ?? Math.random;
    this.pacer = new SendPacer({
      minGapMs: options.sendGapMs ?? DEFAULT_SEND_GAP_MS,
      jitterMs: options.sendJitterMs ?? DEFAULT_SEND_JITTER_MS,
      random,
    });
    const phone = options.phone?.replace(/\D/g, "");
    this.link = new WhatsAppLink(
      {
        authDir: options.authDir,
        phone: phone ? phone : undefined,
        wsUrl: options.wsUrl,
        logger: this.log,
        socketFactory: options.socketFactory ?? baileysSocketFactory,
        backoff: {
          baseMs: options.reconnectBaseMs ?? DEFAULT_RECONNECT_BASE_MS,
          maxMs: options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS,
        },
        timers: options.timers ?? {
          setTimeout: (callback, ms) => setTimeout(callback, ms),
          clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
        },
        random,
      },
      {
        state: (status, detail, pairing) => this.setState(status, detail, pairing),
        messages: (sock, messages) => this.enqueueInbound(sock, messages),
        groupsUpdate: (change) => this.groups.update(change),
        sentMessage: (id) => this.sent.get(id),
        cachedGroupMetadata: (jid) => this.groups.cached(jid),
      },
    );
    this.groups = new GroupDirectory((jid) => {
      const sock = this.link.socket;
      if (!sock) return Promise.reject(new Error("WhatsApp is not connected"));
      return sock.groupMetadata(jid);
    }, this.log);
    this.typing = new TypingRefresher(TYPING_REFRESH_MS, (chatId) =>
      this.sendPresence("composing", chatId),
    );
    this.inbound = new InboundQueue({ logger: this.log });
  }

  async start(host: ChannelHost): Promise<void> {
    this.host = host;
    this.inbound.open(host);
    await this.link.start();
  }

  async stop(): Promise<void> {
    this.typing.stopAll();
    await this.inbound.close();
    const wasRunning = await this.link.stop();
    if (wasRunning) this.setState("stopped");
  }

  async send(chatId: string, markdown: string, _options: SendOptions): Promise<string[]> {
    this.typing.stop(chatId);
    return await sendPieces({
      pieces: splitMessage(markdown, SPLIT_LIMIT)
        .map(markdownToWhatsApp)
        .filter((chunk) => chunk.trim() !== ""),
      send: (text) => this.sendContent(chatId, { text }),
      // A later chunk waits for a reconnect and is sent again in place.
      retryLaterPiece: async (error, attempt) => {
        if (attempt >= CHUNK_ATTEMPTS) return false;
        this.log.warn({ err: error, attempt }, "whatsapp reply chunk failed; waiting to reconnect");
        return await this.link.waitForOpen(CHUNK_RECONNECT_WAIT_MS);
      },
    });
  }

  /** Images up to WhatsApp's media limit go as image messages, the rest as documents. */
  async sendFile(chatId: string, file: OutboundFile, options: SendFileOptions): Promise<string[]> {
    this.typing.stop(chatId);
    const data = await readFile(file.path);
    const caption = options.caption ? { caption: markdownToWhatsApp(options.caption) } : {};
    // A GIF sent as an image arrives as a still; as a document it stays the file it was.
    const image =
      isPlainImage(file.mimeType) &&
      file.mimeType !== "image/gif" &&
      file.size <= WHATSAPP_MEDIA_MAX_BYTES;
    const content: AnyMessageContent = image
      ? { image: data, mimetype: file.mimeType, ...caption }
      : { document: data, mimetype: file.mimeType, fileName: file.name, ...caption };
    return [await this.sendContent(chatId, content)];
  }

  async setTyping(chatId: string, typing: boolean): Promise<void> {
    this.typing.stop(chatId);
    if (!this.link.openSocket) return;
    if (typing) await this.typing.start(chatId);
    else await this.sendPresence("paused", chatId);
  }

  async react(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    const key: WAMessageKey = this.received.get(messageId)?.message.key ?? {
      remoteJid: chatId,
      id: messageId,
      fromMe: false,
    };
    // An empty reaction text removes the reaction.
    await this.sendContent(chatId, { react: { text: emoji ?? "", key } });
  }

  private setState(status: ChannelStatus, detail?: string, pairing?: PairingPrompt): void {
    this.host?.setState({
      status,
      ...(detail === undefined ? {} : { detail }),
      ...(pairing === undefined ? {} : { pairing }),
    });
  }

  /** Sends one message and returns its id. */
  private async sendContent(chatId: string, content: AnyMessageContent): Promise<string> {
    try {
      const sock = this.link.connectedSocket();
      await this.pacer.wait();
      const message = await sock.sendMessage(chatId, content, {});
      const id = message?.key.id;
      if (!id) throw new Error("WhatsApp accepted the send but returned no message id");
      if (message.message) this.sent.set(id, message.message);
      return id;
    } catch (error) {
      throw toSendError(error);
    }
  }

  private async sendPresence(type: "composing" | "paused", chatId: string): Promise<void> {
    const sock = this.link.openSocket;
    if (!sock) return;
    try {
      await sock.sendPresenceUpdate(type, chatId);
    } catch (error) {
      // Typing is a courtesy; a failure here must not fail the reply.
      this.log.debug({ err: error }, "whatsapp presence update failed");
    }
  }

  private inboundContext(sock: WhatsAppSocket): InboundContext {
    const media: MediaSource = {
      maxBytes: this.maxAttachmentBytes,
      logger: this.link.baileysLog,
      reupload: (message) => {
        const current = this.link.socket;
        if (!current) return Promise.reject(new Error("WhatsApp is not connected"));
        return current.updateMediaMessage(message);
      },
    };
    return {
      self: this.link.self(),
      assistantName: this.assistantName,
      lids: sock.signalRepository.lidMapping,
      names: this.names,
      groupName: async (jid) => (await this.groups.metadata(jid))?.subject,
      attachments: (message, content) => attachmentsOf(message, content, media),
    };
  }

  /**
   * Baileys acknowledges a message to WhatsApp when it decrypts it, so WhatsApp will not
   * deliver it again: the queue keeps retrying a failed store until the channel stops.
   */
  private enqueueInbound(sock: WhatsAppSocket, messages: WAMessage[]): void {
    const context = this.inboundContext(sock);
    for (const message of messages) void this.inbound.push(this.translate(message, context));
  }

  private async translate(message: WAMessage, context: InboundContext) {
    const event = await toInboundEvent(message, context);
    if (event?.type === "message") {
      const { chatId, messageId, chatName, senderName, isGroup } = event.message;
      this.received.set(messageId, { chatId, message });
      const name = chatName ?? (isGroup ? jidUser(chatId) : senderName);
      this.chats.announce(this.host, { chatId, name: name ?? chatId, isGroup });
    }
    return event;
  }
}
