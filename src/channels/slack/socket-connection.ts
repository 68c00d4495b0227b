// Slack's Socket Mode connection: a Bolt App fed by a SocketModeReceiver, with two
// deliberate departures from Bolt's defaults:
// - Bolt acknowledges every Events API envelope before its listeners run. We replace the
//   receiver's envelope handler so the ack is sent only after the listeners (and so the
//   store) have finished, and not at all when they fail: Slack then redelivers.
// - The Socket Mode client's own reconnect loop is off (autoReconnectEnabled: false). Its
//   failed reconnects reject promises nobody handles and it retries token_revoked forever;
//   our loop stops on auth errors, honours Retry-After and backs off otherwise.
import type { webApi } from "@slack/bolt";
import { App, SocketModeReceiver } from "@slack/bolt";
import type { Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import type { ChannelStatus } from "../channel.ts";
import { boltLogger } from "./bolt-logger.ts";
import type { BotIdentity, SlackMessageEvent } from "./inbound-events.ts";
import { describeError, isAuthError, retryAfterMs } from "./slack-errors.ts";

const RECONNECT_BASE_MS = 500;
const RECONNECT_MAX_MS = 60_000;

/** What @slack/socket-mode emits as `slack_event` for each envelope. */
interface SocketModeEnvelope {
  ack: () => Promise<void>;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

export interface SlackConnectionOptions {
  appToken: string;
  botToken: string;
  web: webApi.WebClient;
  clientOptions: webApi.WebClientOptions;
  logger: Logger;
  /** The connection's state as it changes: connected, reconnecting (why), auth_failed (why). */
  report(status: ChannelStatus, detail?: string): void;
  /** After every successful connect. */
  connected(): void;
  /** Each message and app_mention event; a rejection leaves its envelope unacknowledged. */
  onMessage(event: SlackMessageEvent, identity: BotIdentity): Promise<void>;
  /** A click on an ask_user button (block_actions whose action_id starts with "ask:"). */
  onChoice(tap: SlackButtonTap): Promise<void>;
}

/** What a block_actions payload says about one button click. */
export interface SlackButtonTap {
  channelId: string;
  messageTs: string;
  userId: string;
  actionId: string;
}

/** What the owner is told when Slack refuses one of the two tokens. */
export function authDetail(token: "bot" | "app", error: unknown): string {
  const which =
    token === "bot"
      ? "the bot token (SLACK_BOT_TOKEN, xoxb-…)"
      : "the app-level token (SLACK_APP_TOKEN, xapp-…)";
  return `Slack rejected ${which}: ${describeError(error)}`;
}

export class SlackConnection {
  readonly #options: SlackConnectionOptions;
  readonly #log: Logger;
  #identity: BotIdentity | undefined;
  #app: App | undefined;
  #receiver: SocketModeReceiver | undefined;
  #stopped = true;
  #opening = false;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(options: SlackConnectionOptions) {
    this.#options = options;
    this.#log = options.logger;
  }

  /** Connects in the background; progress arrives through `report`. */
  start(): void {
    this.#stopped = false;
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // App#stop() does not wait for the socket to close; the client's disconnect() does.
    if (this.#receiver) await this.#receiver.client.disconnect();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    if (!this.#identity) {
      try {
        const auth = await this.#options.web.auth.test();
        this.#identity = {
          botUserId: auth.user_id ?? "",
          botId: auth.bot_id,
          teamId: auth.team_id,
        };
      } catch (error) {
        this.#failed("bot", error);
        return;
      }
    }
    const { app, receiver } = this.#ensureApp(this.#identity);
    this.#opening = true;
    try {
      await app.start();
    } catch (error) {
      this.#opening = false;
      this.#failed("app", error);
      return;
    }
    this.#opening = false;
    // stop() may have run while the connection was being opened.
    if (this.#stopped) await receiver.client.disconnect();
  }

  #failed(token: "bot" | "app", error: unknown): void {
    if (this.#stopped) return;
    if (isAuthError(error)) {
      this.#options.report("auth_failed", authDetail(token, error));
      return;
    }
    this.#log.warn({ err: error }, "Slack connection attempt failed");
    this.#scheduleReconnect(
      `Slack connection failed: ${describeError(error)}`,
      retryAfterMs(error),
    );
  }

  #scheduleReconnect(detail: string, notBeforeMs = 0): void {
    if (this.#stopped || this.#retryTimer) return;
    this.#options.report("reconnecting", detail);
    const delay = Math.max(
      notBeforeMs,
      backoffMs(this.#failures + 1, RECONNECT_BASE_MS, RECONNECT_MAX_MS),
    );
    this.#failures += 1;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
  }

  #ensureApp(identity: BotIdentity): { app: App; receiver: SocketModeReceiver } {
    if (this.#app && this.#receiver) return { app: this.#app, receiver: this.#receiver };
    const logger = boltLogger(this.#log);
    const { logger: _ignored, ...socketClientOptions } = this.#options.clientOptions;
    const receiver = new SocketModeReceiver({
      appToken: this.#options.appToken,
      logger,
      autoReconnectEnabled: false,
      installerOptions: { clientOptions: socketClientOptions },
    });
    const app = new App({
      receiver,
      socketMode: true,
      logger,
      clientOptions: this.#options.clientOptions,
      authorize: async () => ({
        botToken: this.#options.botToken,
        botUserId: identity.botUserId,
        botId: identity.botId,
        teamId: identity.teamId,
      }),
    });
    app.error(async (error) => {
      throw error;
    });
    const onMessage = async ({ event }: { event: unknown }): Promise<void> => {
      await this.#options.onMessage(event as SlackMessageEvent, identity);
    };
    app.event("message", onMessage);
    app.event("app_mention", onMessage);
    // Interactive envelopes are acknowledged like events, after the tap is handled.
    app.action({ type: "block_actions", action_id: /^ask:/ }, async ({ body, action, ack }) => {
      await ack();
      const channelId = body.channel?.id ?? body.container?.channel_id;
      const messageTs = body.message?.ts ?? body.container?.message_ts;
      if (!channelId || !messageTs || action.type !== "button") return;
      await this.#options.onChoice({
        channelId: String(channelId),
        messageTs: String(messageTs),
        userId: body.user.id,
        actionId: action.action_id,
      });
    });

    const client = receiver.client;
    client.removeAllListeners("slack_event");
    client.on(
      "slack_event",
      (envelope: SocketModeEnvelope) => void this.#onEnvelope(app, envelope),
    );
    client.on("connected", () => {
      this.#opening = false;
      this.#failures = 0;
      this.#options.report("connected");
      this.#options.connected();
    });
    client.on("disconnected", () => {
      if (!this.#stopped && !this.#opening)
        this.#scheduleReconnect("Socket Mode connection closed; reconnecting");
    });
    this.#app = app;
    this.#receiver = receiver;
    return { app, receiver };
  }

  async #onEnvelope(app: App, envelope: SocketModeEnvelope): Promise<void> {
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
      this.#log.warn(
        { err: cause },
        "Slack event not stored; leaving it unacknowledged so Slack redelivers it",
      );
      return;
    }
    try {
      await envelope.ack();
    } catch (error) {
      this.#log.info(
        { err: error },
        "Slack event stored but not acknowledged; a redelivery will be skipped",
      );
    }
  }
}
