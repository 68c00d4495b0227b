// The Discord channel: a discord.js Client (gateway for events, REST for sends). discord.js
// resumes dropped gateway sessions and queues REST calls around rate limits by itself;
// this adapter reports its state, translates events and maps failures for the outbox.
import {
  Client,
  DiscordAPIError,
  DiscordjsError,
  DiscordjsErrorCodes,
  Events,
  GatewayIntentBits,
  Options,
  Partials,
  Routes,
} from "discord.js";
import type {
  APIMessage,
  ButtonInteraction,
  Channel as DiscordChannelObject,
  Guild,
  Message,
  PartialMessage,
  REST,
} from "discord.js";
import { readFile } from "node:fs/promises";
import type { Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import { splitMessage } from "../split.ts";
import { TransientSendError } from "../channel.ts";
import type {
  Channel,
  ChannelHost,
  ChannelStatus,
  OutboundFile,
  SendFileOptions,
  SendOptions,
} from "../channel.ts";
import { fatalCloseDetail, TOKEN_REJECTED } from "./gateway-errors.ts";
import {
  choiceEvent,
  deleteEvent,
  editEvent,
  guildChat,
  messageEvent,
  type InboundContext,
} from "./inbound.ts";
import { choicesBody, closedChoicesBody, fileBody, textBody } from "./outbound.ts";
import { OwnReactions } from "./reactions.ts";
import { toSendError } from "./send-errors.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { InboundQueue, type PendingEvent } from "../kit/inbound-queue.ts";
import { sendPieces, waitOutRateLimits } from "../kit/reply-pieces.ts";
import { TypingRefresher } from "../kit/typing-refresher.ts";

export interface DiscordChannelOptions {
  token: string;
  /** REST root (e.g. http://127.0.0.1:port/api); the gateway URL is then discovered through it. */
  apiUrl?: string;
  assistantName: string;
  logger: Logger;
  maxAttachmentBytes?: number;
}

const MESSAGE_LIMIT = 2000;
/** Discord shows "is typing…" for about ten seconds per request. */
const TYPING_REFRESH_MS = 8_000;
/** discord.js waits out rate limits itself; a later piece still failing is retried this often. */
const PIECE_ATTEMPTS = 3;
const MAX_PIECE_WAIT_MS = 60_000;
const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const LOGIN_RETRY_BASE_MS = 1_000;
const LOGIN_RETRY_MAX_MS = 60_000;
/**
 * Messages discord.js keeps per channel (its default is 200, each with its reactions and
 * mentions). Only the embed-only-update check reads them, and link previews load within
 * seconds: a few recent ones do. With more, every channel's cache grows for hours before
 * it levels off, which reads as a leak in a long run.
 */
export const MESSAGES_KEPT_PER_CHANNEL = 20;

export class DiscordChannel implements Channel {
  readonly name = "discord" as const;
  readonly #options: DiscordChannelOptions;
  readonly #log: Logger;
  readonly #typing: TypingRefresher;
  readonly #reactions = new OwnReactions(() => this.#rest());
  #host: ChannelHost | null = null;
  #client: Client | null = null;
  #status: ChannelStatus | null = null;
  #fatalDetail: string | null = null;
  #loginAttempts = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #inbound: InboundQueue;
  readonly #chats = new DiscoveredChats();

  constructor(options: DiscordChannelOptions) {
    this.#options = options;
    this.#log = options.logger.child({ channel: "discord" });
    this.#typing = new TypingRefresher(TYPING_REFRESH_MS, (chatId) => this.#sendTyping(chatId));
    this.#inbound = new InboundQueue({ logger: this.#log });
  }

  /** Returns at once; the connection's progress is reported through host.setState. */
  async start(host: ChannelHost): Promise<void> {
    this.#host = host;
    this.#inbound.open(host);
    this.#setState("connecting");
    void this.#connect();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.#typing.stopAll();
    const client = this.#client;
    this.#client = null;
    await client?.destroy();
    await this.#inbound.close();
    this.#setState("stopped");
  }

  async send(chatId: string, markdown: string, _options: SendOptions): Promise<string[]> {
    return this.#sendOrEdit(chatId, undefined, markdown);
  }

  async edit(
    chatId: string,
    platformId: string,
    markdown: string,
    _options: SendOptions,
  ): Promise<string[]> {
    return this.#sendOrEdit(chatId, platformId, markdown);
  }

  async deleteMessage(chatId: string, platformId: string): Promise<void> {
    try {
      await this.#rest().delete(Routes.channelMessage(chatId, platformId));
    } catch (error) {
      // 10008 Unknown Message: it is gone already.
      if (error instanceof DiscordAPIError && error.code === 10008) return;
      throw toSendError(error);
    }
  }

  /** Sends the pieces of a reply; with `editId` the first one replaces that message's text. */
  async #sendOrEdit(
    chatId: string,
    editId: string | undefined,
    markdown: string,
  ): Promise<string[]> {
    return await sendPieces({
      pieces: splitMessage(markdown, MESSAGE_LIMIT),
      send: (piece, index) =>
        index === 0 && editId !== undefined
          ? this.#editMessage(chatId, editId, piece)
          : this.#postMessage(chatId, piece),
      retryLaterPiece: waitOutRateLimits({
        attempts: PIECE_ATTEMPTS,
        maxWaitMs: MAX_PIECE_WAIT_MS,
        logger: this.#log,
      }),
    });
  }

  /** The question with its buttons (see choicesBody). */
  async sendChoices(
    chatId: string,
    question: string,
    choices: { id: string; label: string }[],
    _options: SendOptions,
  ): Promise<string[]> {
    const body = choicesBody(question, choices);
    try {
      const message = (await this.#rest().post(Routes.channelMessages(chatId), {
        body,
      })) as APIMessage;
      return [message.id];
    } catch (error) {
      throw toSendError(error);
    }
  }

  /** One message with the file attached and the caption as its content; Discord shows images itself. */
  async sendFile(chatId: string, file: OutboundFile, options: SendFileOptions): Promise<string[]> {
    this.#typing.stop(chatId);
    const body = fileBody(file.name, options.caption);
    const data = await readFile(file.path);
    try {
      const message = (await this.#rest().post(Routes.channelMessages(chatId), {
        body,
        files: [{ name: file.name, data, contentType: file.mimeType }],
      })) as APIMessage;
      return [message.id];
    } catch (error) {
      throw toSendError(error);
    }
  }

  /** Edits the question to show the outcome, with its buttons removed. */
  async closeChoices(chatId: string, messageIds: string[], text: string | null): Promise<void> {
    const body = closedChoicesBody(text);
    for (const id of messageIds) {
      try {
        await this.#rest().patch(Routes.channelMessage(chatId, id), { body });
      } catch (error) {
        throw toSendError(error);
      }
    }
  }

  async setTyping(chatId: string, typing: boolean): Promise<void> {
    if (typing) await this.#typing.start(chatId);
    else this.#typing.stop(chatId);
  }

  /** The bot keeps one reaction per message (see OwnReactions). */
  react(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    return this.#reactions.set(chatId, messageId, emoji);
  }

  async #postMessage(chatId: string, content: string): Promise<string> {
    const rest = this.#rest();
    try {
      const message = (await rest.post(Routes.channelMessages(chatId), {
        body: textBody(content),
      })) as APIMessage;
      return message.id;
    } catch (error) {
      throw toSendError(error);
    }
  }

  async #editMessage(chatId: string, messageId: string, content: string): Promise<string> {
    try {
      await this.#rest().patch(Routes.channelMessage(chatId, messageId), {
        body: textBody(content),
      });
      return messageId;
    } catch (error) {
      throw toSendError(error);
    }
  }

  async #sendTyping(chatId: string): Promise<void> {
    try {
      await this.#rest().post(Routes.channelTyping(chatId));
    } catch (error) {
      this.#log.debug({ err: error, chatId }, "typing indicator failed");
    }
  }

  #rest(): REST {
    if (!this.#client) throw new TransientSendError("Discord is not connected");
    return this.#client.rest;
  }

  #setState(status: ChannelStatus, detail?: string): void {
    this.#status = status;
    this.#host?.setState(detail === undefined ? { status } : { status, detail });
  }

  async #connect(): Promise<void> {
    this.#fatalDetail = null;
    const client = this.#createClient();
    this.#client = client;
    try {
      await client.login(this.#options.token);
      this.#loginAttempts = 0;
    } catch (error) {
      if (this.#client !== client) return;
      this.#client = null;
      await client
        .destroy()
        .catch((cause: unknown) => this.#log.debug({ err: cause }, "destroying the client failed"));
      const isTokenInvalid =
        error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid;
      const fatal = this.#fatalDetail ?? (isTokenInvalid ? TOKEN_REJECTED : null);
      if (fatal) {
        this.#setState("auth_failed", fatal);
        return;
      }
      this.#loginAttempts += 1;
      const delay = backoffMs(this.#loginAttempts, LOGIN_RETRY_BASE_MS, LOGIN_RETRY_MAX_MS);
      const reason = error instanceof Error ? error.message : String(error);
      this.#log.warn({ err: error }, "Discord login failed; retrying");
      this.#setState(
        "reconnecting",
        `cannot connect to Discord (${reason}); retrying in ${delay / 1000}s`,
      );
      this.#retryTimer = setTimeout(() => void this.#connect(), delay);
    }
  }

  #createClient(): Client {
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.GuildMessageReactions,
      ],
      // Channel: DM channels are never cached up front. Message: edits and deletes of
      // messages from before this process started still arrive.
      partials: [Partials.Channel, Partials.Message],
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        MessageManager: MESSAGES_KEPT_PER_CHANNEL,
      }),
      ...(this.#options.apiUrl ? { rest: { api: this.#options.apiUrl } } : {}),
    });
    client.on(Events.ClientReady, (ready) => {
      for (const guild of ready.guilds.cache.values()) this.#discoverGuild(guild);
    });
    // ShardReady follows every READY, including a fresh IDENTIFY after a failed resume.
    client.on(Events.ShardReady, () => this.#setState("connected"));
    client.on(Events.ShardResume, () => this.#setState("connected"));
    client.on(Events.ShardReconnecting, () => {
      if (this.#status === "connected") this.#setState("reconnecting");
    });
    client.on(Events.ShardDisconnect, (event) => {
      this.#fatalDetail = fatalCloseDetail(event.code);
      this.#setState("auth_failed", this.#fatalDetail);
    });
    client.on(Events.ShardError, (error) =>
      this.#log.warn({ err: error }, "Discord gateway error"),
    );
    client.on(Events.Error, (error) => this.#log.error({ err: error }, "Discord client error"));
    client.on(Events.Warn, (message) => this.#log.warn(message));
    client.on(Events.GuildCreate, (guild) => this.#discoverGuild(guild));
    client.on(Events.ChannelCreate, (channel) => this.#discoverChannel(channel));
    client.on(Events.ChannelUpdate, (_old, channel) => this.#discoverChannel(channel));
    client.on(Events.MessageCreate, (message) =>
      this.#enqueue(this.#isFromBot(message) ? null : messageEvent(message, this.#context())),
    );
    client.on(Events.MessageUpdate, (old, updated) =>
      this.#enqueue(this.#isFromBot(updated) ? null : editEvent(old, updated, this.#context())),
    );
    client.on(Events.MessageDelete, (message) => this.#onDelete(message));
    client.on(Events.InteractionCreate, (interaction) => {
      if (interaction.isButton()) this.#onTap(interaction);
    });
    client.on(Events.MessageBulkDelete, (messages) => {
      for (const message of messages.values()) this.#onDelete(message);
    });
    return client;
  }

  #context(): InboundContext {
    return {
      botId: this.#client?.user?.id ?? "",
      assistantName: this.#options.assistantName,
      maxAttachmentBytes: this.#options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES,
    };
  }

  /** Translation starts at once: discord.js mutates cached messages on later edits. */
  #enqueue(translation: PendingEvent): void {
    void this.#inbound.push(translation);
  }

  #isFromBot(message: Message | PartialMessage): boolean {
    return message.author?.bot === true || message.author?.id === this.#client?.user?.id;
  }

  /**
   * A tap on an ask_user button. It is acknowledged as a deferred update once handled, so
   * the client shows no error and nothing else: a sender who may not answer sees no change,
   * and the question is edited when it is over. Discord wants the answer within 3 s.
   */
  #onTap(interaction: ButtonInteraction): void {
    void this.#inbound
      .push(choiceEvent(interaction))
      .then((outcome) => (outcome === "stopped" ? undefined : interaction.deferUpdate()))
      .catch((error: unknown) =>
        this.#log.debug({ err: error }, "could not acknowledge a button tap"),
      );
  }

  #onDelete(message: Message | PartialMessage): void {
    this.#enqueue(this.#isFromBot(message) ? null : deleteEvent(message));
  }

  #discoverGuild(guild: Guild): void {
    for (const channel of guild.channels.cache.values()) this.#discoverChannel(channel);
  }

  #discoverChannel(channel: DiscordChannelObject): void {
    const chat = guildChat(channel);
    if (chat) this.#chats.announce(this.#host, chat);
  }
}
