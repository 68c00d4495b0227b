// The Slack adapter: a Bolt App in Socket Mode for events, a WebClient for sends.
//
// Two deliberate departures from Bolt's defaults:
// - Bolt acknowledges every Events API envelope before its listeners run. We replace the
//   receiver's envelope handler so the ack is sent only after the listeners (and so
//   host.receive) have finished, and not at all when they fail: Slack then redelivers.
// - The Socket Mode client's own reconnect loop is off (autoReconnectEnabled: false). Its
//   failed reconnects reject promises nobody handles and it retries token_revoked forever;
//   our loop stops on auth errors, honours Retry-After and backs off otherwise.
import { setTimeout as sleep } from "node:timers/promises";
import { App, SocketModeReceiver, webApi } from "@slack/bolt";
import type { Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import { splitMessage } from "../split.ts";
import {
  TransientSendError,
  type Attachment,
  type Channel,
  type ChannelHost,
  type ChannelStatus,
  type DiscoveredChat,
  type InboundEvent,
  type SendOptions,
} from "../channel.ts";
import { fileAttachment, type SlackFile } from "./attachments.ts";
import { boltLogger } from "./bolt-logger.ts";
import { SlackDirectory } from "./directory.ts";
import {
  mentionedUserIds,
  mentionsUser,
  slackTextToMarkdown,
  slackTsToMs,
} from "./inbound-text.ts";
import { markdownToMrkdwn } from "./mrkdwn.ts";
import { OnceByKey } from "./once-by-key.ts";
import { reactionName } from "./reactions.ts";
import {
  describeError,
  isAuthError,
  platformErrorCode,
  retryAfterMs,
  toSendError,
} from "./slack-errors.ts";

export interface SlackChannelOptions {
  botToken: string;
  appToken: string;
  /** Web API base URL, e.g. "https://slack.com/api/"; the Socket Mode URL comes from it too. */
  apiUrl?: string;
  /** Where Slack serves files (url_private), the only host the bot token goes to for them. */
  filesUrl?: string | undefined;
  assistantName: string;
  logger: Logger;
  maxAttachmentBytes?: number;
}

/** Below Slack's 4,000-character guidance for one message's text. */
export const SLACK_TEXT_LIMIT = 3_900;
const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;
const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 60_000;
const MAX_DISCOVERY_PAGES = 20;
/** A later chunk of a reply waits out a rate limit this many times, each at most this long. */
const CHUNK_ATTEMPTS = 4;
const MAX_CHUNK_WAIT_MS = 60_000;
/** Message subtypes that are a person's message; the rest (joins, topics, bots) are not. */
const PERSON_SUBTYPES = new Set(["file_share", "thread_broadcast", "me_message"]);

interface BotIdentity {
  botUserId: string;
  botId: string | undefined;
  teamId: string | undefined;
}

interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  event_ts?: string;
  thread_ts?: string;
  files?: SlackFile[];
  message?: {
    subtype?: string;
    user?: string;
    bot_id?: string;
    text?: string;
    ts: string;
    edited?: { ts?: string };
  };
  previous_message?: { user?: string; bot_id?: string; text?: string; ts?: string };
  deleted_ts?: string;
}

/** What @slack/socket-mode emits as `slack_event` for each envelope. */
interface SocketModeEnvelope {
  ack: () => Promise<void>;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

/** For a platform error that means "already so" (already_reacted, no_reaction). */
function ignoring(code: string): (error: unknown) => undefined {
  return (error) => {
    if (platformErrorCode(error) === code) return undefined;
    throw error;
  };
}

interface ListedConversation {
  id?: string;
  name?: string;
  is_im?: boolean;
  is_member?: boolean;
  user?: string;
}

export class SlackChannel implements Channel {
  readonly name = "slack" as const;
  private readonly options: SlackChannelOptions;
  private readonly logger: Logger;
  private readonly web: webApi.WebClient;
  private readonly directory: SlackDirectory;
  private readonly once = new OnceByKey(5_000);
  private readonly reactions = new Map<string, string>();
  private readonly announced = new Map<string, string>();
  private host: ChannelHost | undefined;
  private identity: BotIdentity | undefined;
  private app: App | undefined;
  private receiver: SocketModeReceiver | undefined;
  private status: ChannelStatus = "stopped";
  private detail: string | undefined;
  private settled: (() => void) | undefined;
  private stopped = true;
  private opening = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private discoveryDone = false;

  constructor(options: SlackChannelOptions) {
    this.options = options;
    this.logger = options.logger.child({ channel: "slack" });
    this.web = new webApi.WebClient(options.botToken, this.clientOptions());
    this.directory = new SlackDirectory(this.web, this.logger);
  }

  /** Resolves once the first connection attempt has an outcome (connected, auth_failed or retrying). */
  async start(host: ChannelHost): Promise<void> {
    this.host = host;
    this.stopped = false;
    const settled = new Promise<void>((resolve) => (this.settled = resolve));
    this.setState("connecting");
    void this.connect();
    await settled;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // App#stop() does not wait for the socket to close; the client's disconnect() does.
    if (this.receiver) await this.receiver.client.disconnect();
    this.setState("stopped");
  }

  async send(chatId: string, markdown: string, options: SendOptions): Promise<string[]> {
    const ids: string[] = [];
    const chunks = splitMessage(markdownToMrkdwn(markdown), SLACK_TEXT_LIMIT);
    for (const [index, text] of chunks.entries()) {
      const post = () =>
        this.call("chat.postMessage", () =>
          this.web.chat.postMessage({
            channel: chatId,
            text,
            thread_ts: options.threadId,
            mrkdwn: true,
          }),
        );
      const result = index === 0 ? await post() : await this.postLaterChunk(post);
      if (result.ts) ids.push(result.ts);
    }
    return ids;
  }

  // Once part of a reply is out, the outbox retrying the whole reply would repeat that part,
  // so a later chunk waits out Slack's Retry-After here instead.
  private async postLaterChunk<T>(post: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await post();
      } catch (error) {
        const wait = error instanceof TransientSendError ? error.retryAfterMs : undefined;
        if (wait === undefined || wait > MAX_CHUNK_WAIT_MS || attempt >= CHUNK_ATTEMPTS)
          throw error;
        this.logger.warn({ retryInMs: wait }, "slack rate-limited a reply chunk");
        await sleep(wait);
      }
    }
  }

  async react(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    const key = `${chatId}:${messageId}`;
    const previous = this.reactions.get(key);
    const next = emoji === null ? undefined : reactionName(emoji);
    if (emoji !== null && next === undefined) {
      this.logger.warn({ emoji }, "no Slack reaction name for this emoji; reaction skipped");
      return;
    }
    if (previous === next) return;
    const target = { channel: chatId, timestamp: messageId };
    if (previous !== undefined) {
      await this.call("reactions.remove", () =>
        this.web.reactions.remove({ ...target, name: previous }).catch(ignoring("no_reaction")),
      );
      this.reactions.delete(key);
    }
    if (next !== undefined) {
      await this.call("reactions.add", () =>
        this.web.reactions.add({ ...target, name: next }).catch(ignoring("already_reacted")),
      );
      this.reactions.set(key, next);
      if (this.reactions.size > 1_000)
        this.reactions.delete(this.reactions.keys().next().value ?? key);
    }
  }

  private clientOptions(): webApi.WebClientOptions {
    return {
      ...(this.options.apiUrl ? { slackApiUrl: this.options.apiUrl } : {}),
      logger: boltLogger(this.logger),
      // A send must fail fast and visibly: the outbox owns retries, honouring retryAfterMs.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: REQUEST_TIMEOUT_MS,
    };
  }

  /** Runs a Web API call, mapping its failure to the error a send should throw. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isAuthError(error)) this.setState("auth_failed", this.authDetail("bot", error));
      throw toSendError(error, method);
    }
  }

  private setState(status: ChannelStatus, detail?: string): void {
    if (status === this.status && detail === this.detail) return;
    this.status = status;
    this.detail = detail;
    this.host?.setState(detail === undefined ? { status } : { status, detail });
    if (status !== "connecting") {
      this.settled?.();
      this.settled = undefined;
    }
  }

  private authDetail(token: "bot" | "app", error: unknown): string {
    const which =
      token === "bot"
        ? "the bot token (SLACK_BOT_TOKEN, xoxb-…)"
        : "the app-level token (SLACK_APP_TOKEN, xapp-…)";
    return `Slack rejected ${which}: ${describeError(error)}`;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    if (!this.identity) {
      try {
        const auth = await this.web.auth.test();
        this.identity = { botUserId: auth.user_id ?? "", botId: auth.bot_id, teamId: auth.team_id };
      } catch (error) {
        this.connectionFailed("bot", error);
        return;
      }
    }
    const { app, receiver } = this.ensureApp(this.identity);
    this.opening = true;
    try {
      await app.start();
    } catch (error) {
      this.opening = false;
      this.connectionFailed("app", error);
      return;
    }
    this.opening = false;
    // stop() may have run while the connection was being opened.
    if (this.stopped) await receiver.client.disconnect();
  }

  private connectionFailed(token: "bot" | "app", error: unknown): void {
    if (this.stopped) return;
    if (isAuthError(error)) {
      this.setState("auth_failed", this.authDetail(token, error));
      return;
    }
    this.logger.warn({ err: error }, "Slack connection attempt failed");
    this.scheduleReconnect(`Slack connection failed: ${describeError(error)}`, retryAfterMs(error));
  }

  private scheduleReconnect(detail: string, notBeforeMs = 0): void {
    if (this.stopped || this.retryTimer) return;
    this.setState("reconnecting", detail);
    const delay = Math.max(
      notBeforeMs,
      backoffMs(this.failures + 1, RECONNECT_BASE_MS, RECONNECT_MAX_MS),
    );
    this.failures += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  private ensureApp(identity: BotIdentity): { app: App; receiver: SocketModeReceiver } {
    if (this.app && this.receiver) return { app: this.app, receiver: this.receiver };
    const logger = boltLogger(this.logger);
    const { logger: _ignored, ...socketClientOptions } = this.clientOptions();
    const receiver = new SocketModeReceiver({
      appToken: this.options.appToken,
      logger,
      autoReconnectEnabled: false,
      installerOptions: { clientOptions: socketClientOptions },
    });
    const app = new App({
      receiver,
      socketMode: true,
      logger,
      clientOptions: this.clientOptions(),
      authorize: async () => ({
        botToken: this.options.botToken,
        botUserId: identity.botUserId,
        botId: identity.botId,
        teamId: identity.teamId,
      }),
    });
    app.error(async (error) => {
      throw error;
    });
    const onMessage = async ({ event }: { event: unknown }): Promise<void> => {
      await this.onMessageEvent(event as SlackMessageEvent);
    };
    app.event("message", onMessage);
    app.event("app_mention", onMessage);

    const client = receiver.client;
    client.removeAllListeners("slack_event");
    client.on("slack_event", (envelope: SocketModeEnvelope) => void this.onEnvelope(app, envelope));
    client.on("connected", () => {
      this.opening = false;
      this.failures = 0;
      this.setState("connected");
      if (!this.discoveryDone) {
        this.discoveryDone = true;
        void this.discoverConversations();
      }
    });
    client.on("disconnected", () => {
      if (!this.stopped && !this.opening)
        this.scheduleReconnect("Socket Mode connection closed; reconnecting");
    });
    this.app = app;
    this.receiver = receiver;
    return { app, receiver };
  }

  private async onEnvelope(app: App, envelope: SocketModeEnvelope): Promise<void> {
    try {
      await app.processEvent({
        body: envelope.body,
        // Bolt acks events before its listeners run; the real ack follows below instead.
        ack: async () => {},
        retryNum: envelope.retry_num,
        retryReason: envelope.retry_reason,
      });
    } catch (error) {
      const cause = (error as { original?: unknown }).original ?? error;
      this.logger.warn(
        { err: cause },
        "Slack event not stored; leaving it unacknowledged so Slack redelivers it",
      );
      return;
    }
    try {
      await envelope.ack();
    } catch (error) {
      this.logger.info(
        { err: error },
        "Slack event stored but not acknowledged; a redelivery will be skipped",
      );
    }
  }

  private async onMessageEvent(event: SlackMessageEvent): Promise<void> {
    const host = this.host;
    const identity = this.identity;
    if (!host || !identity) return;
    const eventKey = `${event.channel}:${event.event_ts ?? event.ts}`;
    if (event.subtype === "message_changed")
      return this.once.run(eventKey, () => this.forwardEdit(host, event));
    if (event.subtype === "message_deleted")
      return this.once.run(eventKey, () => this.forwardDelete(host, event));
    if (event.subtype !== undefined && !PERSON_SUBTYPES.has(event.subtype)) return;
    if (!event.user || event.bot_id || event.user === identity.botUserId) return;
    // A mention arrives as both `message` and `app_mention` with the same ts.
    await this.once.run(`${event.channel}:${event.ts}`, () =>
      this.forwardMessage(host, identity, event, event.user ?? ""),
    );
  }

  private async forwardMessage(
    host: ChannelHost,
    identity: BotIdentity,
    event: SlackMessageEvent,
    userId: string,
  ): Promise<void> {
    const raw = event.text ?? "";
    const [senderName, conversation, text] = await Promise.all([
      this.directory.userName(userId),
      this.directory.conversation(event.channel, event.channel_type),
      this.renderText(raw),
    ]);
    const isGroup = !conversation.isIm;
    const chatName = isGroup ? conversation.name : senderName;
    this.announce({ chatId: event.channel, name: chatName, isGroup });
    const maxBytes = this.options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
    const attachments = (event.files ?? []).flatMap((file): Attachment[] => {
      const attachment = fileAttachment(file, {
        botToken: this.options.botToken,
        maxBytes,
        filesUrl: this.options.filesUrl,
        logger: this.logger,
      });
      return attachment ? [attachment] : [];
    });
    const inbound: InboundEvent = {
      type: "message",
      message: {
        chatId: event.channel,
        messageId: event.ts,
        ...(event.thread_ts ? { threadId: event.thread_ts } : {}),
        senderId: userId,
        senderName,
        text,
        timestamp: slackTsToMs(event.ts),
        isGroup,
        chatName,
        mentionsBot: mentionsUser(raw, identity.botUserId),
        ...(attachments.length > 0 ? { attachments } : {}),
      },
    };
    await host.receive(inbound);
  }

  private async forwardEdit(host: ChannelHost, event: SlackMessageEvent): Promise<void> {
    const message = event.message;
    if (!message || message.bot_id || message.user === this.identity?.botUserId) return;
    // A deleted thread parent stays behind as a "tombstone" while its replies remain.
    if (message.subtype === "tombstone") {
      await host.receive({ type: "delete", chatId: event.channel, messageId: message.ts });
      return;
    }
    // Unfurls and attachment changes also arrive as message_changed, with the text unchanged.
    if (message.text === event.previous_message?.text) return;
    await host.receive({
      type: "edit",
      chatId: event.channel,
      messageId: message.ts,
      text: await this.renderText(message.text ?? ""),
      timestamp: slackTsToMs(message.edited?.ts ?? event.ts),
    });
  }

  private async forwardDelete(host: ChannelHost, event: SlackMessageEvent): Promise<void> {
    const previous = event.previous_message;
    const messageId = event.deleted_ts ?? previous?.ts;
    if (!messageId || previous?.bot_id || previous?.user === this.identity?.botUserId) return;
    await host.receive({ type: "delete", chatId: event.channel, messageId });
  }

  private async renderText(text: string): Promise<string> {
    const identity = this.identity;
    if (!identity) return text;
    const others = mentionedUserIds(text).filter((id) => id !== identity.botUserId);
    const names = await Promise.all(
      others.map(async (id) => [id, await this.directory.userName(id)] as const),
    );
    return slackTextToMarkdown(text, {
      botUserId: identity.botUserId,
      assistantName: this.options.assistantName,
      userNames: new Map(names),
    });
  }

  private announce(chat: DiscoveredChat): void {
    if (this.announced.get(chat.chatId) === chat.name) return;
    this.announced.set(chat.chatId, chat.name);
    this.host?.discovered(chat);
  }

  /** Tells the core about every conversation the bot is already in, so it can offer to register them. */
  private async discoverConversations(): Promise<void> {
    try {
      let pages = 0;
      const listing = this.web.paginate("conversations.list", {
        types: "public_channel,private_channel,mpim,im",
        exclude_archived: true,
        limit: 200,
      });
      for await (const page of listing) {
        for (const channel of (page as { channels?: ListedConversation[] }).channels ?? []) {
          if (!channel.id || channel.is_member === false) continue;
          const isGroup = !channel.is_im;
          const name = isGroup
            ? (channel.name ?? channel.id)
            : await this.directory.userName(channel.user ?? channel.id);
          this.announce({ chatId: channel.id, name, isGroup });
        }
        pages += 1;
        if (pages >= MAX_DISCOVERY_PAGES || this.stopped) break;
      }
    } catch (error) {
      this.logger.warn({ err: error }, "listing Slack conversations failed");
    }
  }
}
