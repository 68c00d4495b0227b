// The Discord channel: a discord.js Client (gateway for events, REST for sends). discord.js
// resumes dropped gateway sessions and queues REST calls around rate limits by itself;
// this adapter reports its state, translates events and maps failures for the outbox.
import {
  ChannelType,
  Client,
  DiscordAPIError,
  DiscordjsError,
  DiscordjsErrorCodes,
  Events,
  GatewayCloseCodes,
  GatewayIntentBits,
  ButtonStyle,
  ComponentType,
  MessageType,
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
  InboundEvent,
  OutboundFile,
  SendFileOptions,
  SendOptions,
} from "../channel.ts";
import { readableText, toInboundMessage } from "./inbound.ts";
import type { InboundContext } from "./inbound.ts";
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
const REMEMBERED_REACTIONS = 1_000;
/**
 * Messages discord.js keeps per channel (its default is 200, each with its reactions and
 * mentions). Only the embed-only-update check below reads them, and link previews load
 * within seconds: a few recent ones do. With more, every channel's cache grows for hours
 * before it levels off, which reads as a leak in a long run.
 */
export const MESSAGES_KEPT_PER_CHANNEL = 20;
// Agent text may contain "@everyone" or role mentions; only explicit user mentions ping.
const ALLOWED_MENTIONS = { parse: ["users"], replied_user: true };
const TOKEN_REJECTED =
  "Discord rejected the bot token (401 Unauthorized); set a valid bot token and restart";

const FATAL_CLOSE_DETAILS: Partial<Record<number, string>> = {
  [GatewayCloseCodes.AuthenticationFailed]:
    "Discord rejected the bot token (gateway close 4004); set a valid bot token and restart",
  [GatewayCloseCodes.DisallowedIntents]:
    "Discord refused the Message Content intent (gateway close 4014); enable it under Bot → Privileged Gateway Intents in the Discord developer portal",
};

function fatalCloseDetail(code: number): string {
  return (
    FATAL_CLOSE_DETAILS[code] ??
    `Discord closed the gateway with code ${code} (${GatewayCloseCodes[code] ?? "unknown"}) and will not reconnect`
  );
}

export class DiscordChannel implements Channel {
  readonly name = "discord" as const;
  readonly #options: DiscordChannelOptions;
  readonly #log: Logger;
  readonly #typing: TypingRefresher;
  readonly #reactions = new Map<string, string>();
  readonly #reacting = new Map<string, Promise<void>>();
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

  /** The question with one button per choice, in one action row (at most five fit). */
  async sendChoices(
    chatId: string,
    question: string,
    choices: { id: string; label: string }[],
    _options: SendOptions,
  ): Promise<string[]> {
    const body = {
      content: question,
      allowed_mentions: ALLOWED_MENTIONS,
      components: [
        {
          type: ComponentType.ActionRow,
          components: choices.map((choice) => ({
            type: ComponentType.Button,
            style: ButtonStyle.Secondary,
            label: choice.label,
            custom_id: choice.id,
          })),
        },
      ],
    };
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
    const body = {
      content: options.caption ?? "",
      allowed_mentions: ALLOWED_MENTIONS,
      attachments: [{ id: 0, filename: file.name }],
    };
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
    const body = text === null ? { components: [] } : { content: text, components: [] };
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

  /**
   * Discord allows many reactions per user; the bot keeps one, replacing its previous one.
   * Calls for one message run in order: a 👀 held up by a rate limit must land before the
   * ✅ that replaces it reads what to remove, or both would stay.
   */
  react(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    const key = `${chatId}/${messageId}`;
    const earlier = this.#reacting.get(key) ?? Promise.resolve();
    const current = earlier
      .catch(() => undefined)
      .then(() => this.#replaceReaction(chatId, messageId, key, emoji));
    this.#reacting.set(key, current);
    const forget = (): void => {
      if (this.#reacting.get(key) === current) this.#reacting.delete(key);
    };
    current.then(forget, forget);
    return current;
  }

  async #replaceReaction(
    chatId: string,
    messageId: string,
    key: string,
    emoji: string | null,
  ): Promise<void> {
    const previous = this.#reactions.get(key) ?? null;
    if (previous === emoji) return;
    const rest = this.#rest();
    try {
      if (previous) {
        await rest.delete(
          Routes.channelMessageOwnReaction(chatId, messageId, encodeURIComponent(previous)),
        );
        this.#reactions.delete(key);
      }
      if (emoji) {
        await rest.put(
          Routes.channelMessageOwnReaction(chatId, messageId, encodeURIComponent(emoji)),
        );
        this.#reactions.set(key, emoji);
        if (this.#reactions.size > REMEMBERED_REACTIONS) {
          this.#reactions.delete(this.#reactions.keys().next().value as string);
        }
      }
    } catch (error) {
      throw toSendError(error);
    }
  }

  async #postMessage(chatId: string, content: string): Promise<string> {
    const rest = this.#rest();
    const body = { content, allowed_mentions: ALLOWED_MENTIONS };
    try {
      const message = (await rest.post(Routes.channelMessages(chatId), { body })) as APIMessage;
      return message.id;
    } catch (error) {
      throw toSendError(error);
    }
  }

  async #editMessage(chatId: string, messageId: string, content: string): Promise<string> {
    const body = { content, allowed_mentions: ALLOWED_MENTIONS };
    try {
      await this.#rest().patch(Routes.channelMessage(chatId, messageId), { body });
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
    client.on(Events.MessageCreate, (message) => this.#enqueue(this.#onMessage(message)));
    client.on(Events.MessageUpdate, (old, updated) => this.#enqueue(this.#onEdit(old, updated)));
    client.on(Events.MessageDelete, (message) => this.#enqueue(this.#onDelete(message)));
    client.on(Events.InteractionCreate, (interaction) => {
      if (interaction.isButton()) this.#onTap(interaction);
    });
    client.on(Events.MessageBulkDelete, (messages) => {
      for (const message of messages.values()) this.#enqueue(this.#onDelete(message));
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

  async #onMessage(message: Message): Promise<InboundEvent | null> {
    if (this.#isFromBot(message)) return null;
    // Joins, pins, thread notices and the like are system messages, not something said.
    if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return null;
    return { type: "message", message: await toInboundMessage(message, this.#context()) };
  }

  #onEdit(old: Message | PartialMessage, updated: Message | PartialMessage): InboundEvent | null {
    if (updated.content === null || this.#isFromBot(updated)) return null;
    // Discord also sends MESSAGE_UPDATE when link previews load; only text changes count.
    if (!old.partial && old.content === updated.content) return null;
    return {
      type: "edit",
      chatId: updated.channelId,
      messageId: updated.id,
      text: readableText(updated, this.#context()),
      timestamp: updated.editedTimestamp ?? Date.now(),
    };
  }

  /**
   * A tap on an ask_user button. It is acknowledged as a deferred update once handled, so
   * the client shows no error and nothing else: a sender who may not answer sees no change,
   * and the question is edited when it is over. Discord wants the answer within 3 s.
   */
  #onTap(interaction: ButtonInteraction): void {
    const event: InboundEvent = {
      type: "choice",
      chatId: interaction.channelId,
      messageId: interaction.message.id,
      senderId: interaction.user.id,
      senderName: interaction.inCachedGuild()
        ? interaction.member.displayName
        : interaction.user.displayName,
      choiceId: interaction.customId,
    };
    void this.#inbound
      .push(event)
      .then((outcome) => (outcome === "stopped" ? undefined : interaction.deferUpdate()))
      .catch((error: unknown) =>
        this.#log.debug({ err: error }, "could not acknowledge a button tap"),
      );
  }

  #onDelete(message: Message | PartialMessage): InboundEvent | null {
    if (this.#isFromBot(message)) return null;
    return { type: "delete", chatId: message.channelId, messageId: message.id };
  }

  #discoverGuild(guild: Guild): void {
    for (const channel of guild.channels.cache.values()) this.#discoverChannel(channel);
  }

  #discoverChannel(channel: DiscordChannelObject): void {
    if (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement)
      return;
    this.#chats.announce(this.#host, {
      chatId: channel.id,
      name: `${channel.guild.name} #${channel.name}`,
      isGroup: true,
    });
  }
}
