// The Telegram adapter: long polling through grammY's Api, translation of updates into
// InboundEvents, and rendered, split sends. grammY's own bot.start() is not used because it
// confirms an update even when its handler failed and has no hook to report reconnects;
// here an update's offset moves only after host.receive() has stored it, so a crash or a
// failed store means Telegram delivers it again.
import { Api, InputFile } from "grammy";
import type { CallbackQuery, Message, Update } from "grammy/types";
import type {
  Channel,
  ChannelHost,
  ChannelStatus,
  InboundEvent,
  OutboundFile,
  SendFileOptions,
  SendOptions,
} from "../channel.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { InboundQueue } from "../kit/inbound-queue.ts";
import { sendPieces, waitOutRateLimits } from "../kit/reply-pieces.ts";
import { TypingRefresher } from "../kit/typing-refresher.ts";
import { backoffMs } from "../../time/backoff.ts";
import { sleep } from "../../time/sleep.ts";
import { registerSecret, type Logger } from "../../log.ts";
import { DEFAULT_MAX_ATTACHMENT_BYTES, type FileSource } from "./attachments.ts";
import {
  describeError,
  isEntityParseError,
  isMessageGone,
  isNotModified,
  isTransient,
  isUnauthorized,
  retryAfterMs,
  toSendError,
} from "./errors.ts";
import { discoveredChat, type BotIdentity } from "./inbound.ts";
import {
  captionOptions,
  choicesKeyboard,
  htmlPieces,
  replyOptions,
  sendsAsPhoto,
} from "./outbound.ts";
import { toReactionEmoji } from "./reactions.ts";
import { renderHtml } from "../render-html.ts";
import { translateUpdate } from "./updates.ts";

export interface TelegramChannelOptions {
  token: string;
  /** Bot API server root without trailing slash; defaults to https://api.telegram.org. */
  apiRoot?: string;
  assistantName: string;
  logger: Logger;
  maxAttachmentBytes?: number;
}

const POLL_TIMEOUT_SECONDS = 30;
/** Telegram shows "typing…" for about five seconds. */
const TYPING_REFRESH_MS = 4000;
const ALLOWED_UPDATES: ("message" | "edited_message" | "my_chat_member" | "callback_query")[] = [
  "message",
  "edited_message",
  "my_chat_member",
  // Taps on ask_user's inline keyboards.
  "callback_query",
];
const MAX_BACKOFF_MS = 60_000;
/** A later chunk of a reply retries in place this often, for rate limits at most this long. */
const CHUNK_ATTEMPTS = 4;
const MAX_CHUNK_WAIT_MS = 60_000;

const AUTH_FAILED_DETAIL =
  "Telegram rejected the bot token (401 Unauthorized). Check the token BotFather gave you.";

/** grammY types signals with its abort-controller polyfill; it accepts a native one at runtime. */
type GrammySignal = NonNullable<Parameters<Api["getMe"]>[0]>;

function retryDelayMs(failures: number): number {
  return backoffMs(failures, 500, MAX_BACKOFF_MS);
}

export class TelegramChannel implements Channel {
  readonly name = "telegram" as const;
  private readonly api: Api;
  private readonly files: FileSource;
  private readonly assistantName: string;
  private readonly log: Logger;
  private host: ChannelHost | null = null;
  private identity: BotIdentity | null = null;
  private status: ChannelStatus | null = null;
  private running = false;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private offset = 0;
  private readonly typing: TypingRefresher;
  private readonly chats = new DiscoveredChats();
  private readonly inbound: InboundQueue;

  constructor(options: TelegramChannelOptions) {
    registerSecret(options.token);
    // grammY refuses a root with a trailing slash; users copy URLs with one.
    const apiRoot = (options.apiRoot ?? "https://api.telegram.org").replace(/\/+$/, "");
    this.api = new Api(options.token, { apiRoot });
    this.files = {
      api: this.api,
      apiRoot,
      token: options.token,
      maxBytes: options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES,
    };
    this.assistantName = options.assistantName;
    this.log = options.logger.child({ channel: "telegram" });
    this.typing = new TypingRefresher(TYPING_REFRESH_MS, (chatId) => this.sendTyping(chatId));
    this.inbound = new InboundQueue({ logger: this.log });
  }

  async start(host: ChannelHost): Promise<void> {
    if (this.running) return;
    this.host = host;
    this.running = true;
    this.abort = new AbortController();
    this.inbound.open(host);
    this.setState("connecting");
    const outcome = await this.connect();
    if (outcome === "auth_failed") {
      this.running = false;
      return;
    }
    this.loop = this.poll(outcome === "connected" ? 0 : 1);
  }

  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.abort.abort();
    this.typing.stopAll();
    await this.inbound.close();
    await this.loop;
    this.loop = null;
    if (wasRunning && this.offset > 0) {
      // Confirms what was stored, so the next start does not fetch it again.
      await this.api
        .getUpdates({ offset: this.offset, limit: 1, timeout: 0 })
        .catch((error: unknown) =>
          this.log.debug({ err: error }, "could not confirm the last telegram updates"),
        );
    }
    if (this.host) this.setState("stopped");
  }

  async send(chatId: string, markdown: string, options: SendOptions): Promise<string[]> {
    return this.sendOrEdit(chatId, undefined, markdown, options);
  }

  async edit(
    chatId: string,
    platformId: string,
    markdown: string,
    options: SendOptions,
  ): Promise<string[]> {
    return this.sendOrEdit(chatId, platformId, markdown, options);
  }

  async deleteMessage(chatId: string, platformId: string): Promise<void> {
    try {
      await this.api.deleteMessage(chatId, Number(platformId));
    } catch (error) {
      if (isMessageGone(error)) return;
      throw toSendError(error);
    }
  }

  /** Sends the pieces of a reply; with `editId` the first one replaces that message's text. */
  private async sendOrEdit(
    chatId: string,
    editId: string | undefined,
    markdown: string,
    options: SendOptions,
  ): Promise<string[]> {
    this.typing.stop(chatId);
    const extra = replyOptions(options);
    return await sendPieces({
      pieces: htmlPieces(markdown),
      send: async ({ source, html }, index) => {
        try {
          if (index === 0 && editId !== undefined) {
            await this.editHtml(chatId, Number(editId), source, html);
            return editId;
          }
          return String((await this.sendHtml(chatId, source, html, extra)).message_id);
        } catch (error) {
          throw toSendError(error);
        }
      },
      retryLaterPiece: waitOutRateLimits({
        attempts: CHUNK_ATTEMPTS,
        maxWaitMs: MAX_CHUNK_WAIT_MS,
        logger: this.log,
      }),
    });
  }

  /** The question with an inline keyboard (see choicesKeyboard). */
  async sendChoices(
    chatId: string,
    question: string,
    choices: { id: string; label: string }[],
    options: SendOptions,
  ): Promise<string[]> {
    this.typing.stop(chatId);
    try {
      const message = await this.sendHtml(chatId, question, renderHtml(question), {
        ...replyOptions(options),
        ...choicesKeyboard(choices),
      });
      return [String(message.message_id)];
    } catch (error) {
      throw toSendError(error);
    }
  }

  /** A photo or a document (see sendsAsPhoto), with its caption. */
  async sendFile(chatId: string, file: OutboundFile, options: SendFileOptions): Promise<string[]> {
    this.typing.stop(chatId);
    const extra = { ...replyOptions(options), ...captionOptions(options.caption) };
    const input = new InputFile(file.path, file.name);
    try {
      const message = sendsAsPhoto(file)
        ? await this.api.sendPhoto(chatId, input, extra)
        : await this.api.sendDocument(chatId, input, extra);
      return [String(message.message_id)];
    } catch (error) {
      throw toSendError(error);
    }
  }

  /** Rewrites the question as rendered text without its keyboard, or only drops the keyboard. */
  async closeChoices(chatId: string, messageIds: string[], text: string | null): Promise<void> {
    for (const id of messageIds) {
      try {
        // An edit without reply_markup takes the keyboard off too.
        if (text === null)
          await this.api.editMessageReplyMarkup(chatId, Number(id), { reply_markup: undefined });
        else await this.editHtml(chatId, Number(id), text, renderHtml(text));
      } catch (error) {
        throw toSendError(error);
      }
    }
  }

  async setTyping(chatId: string, typing: boolean): Promise<void> {
    if (!typing) this.typing.stop(chatId);
    else if (this.running) await this.typing.start(chatId);
  }

  async react(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    // setMessageReaction replaces the bot's reaction; an empty list removes it.
    const reaction =
      emoji === null ? [] : [{ type: "emoji" as const, emoji: toReactionEmoji(emoji) }];
    try {
      await this.api.setMessageReaction(chatId, Number(messageId), reaction);
    } catch (error) {
      throw toSendError(error);
    }
  }

  private signal(): GrammySignal {
    return this.abort.signal as unknown as GrammySignal;
  }

  private setState(status: ChannelStatus, detail?: string): void {
    this.status = status;
    this.host?.setState(detail === undefined ? { status } : { status, detail });
  }

  /** getMe then deleteWebhook: a leftover webhook makes getUpdates fail with 409. */
  private async connect(): Promise<"connected" | "auth_failed" | "retry"> {
    try {
      const me = await this.api.getMe(this.signal());
      await this.api.deleteWebhook({ drop_pending_updates: false }, this.signal());
      this.identity = { id: me.id, username: me.username };
      this.setState("connected");
      this.log.info({ bot: me.username }, "telegram connected");
      return "connected";
    } catch (error) {
      if (!this.running) return "retry";
      if (isUnauthorized(error)) {
        this.setState("auth_failed", AUTH_FAILED_DETAIL);
        this.log.error("telegram rejected the bot token");
        return "auth_failed";
      }
      this.setState("reconnecting", `cannot reach Telegram (${describeError(error)})`);
      this.log.warn({ err: error }, "telegram connect failed; retrying");
      return "retry";
    }
  }

  private async poll(initialFailures: number): Promise<void> {
    let failures = initialFailures;
    let delay = retryDelayMs(failures);
    while (this.running) {
      if (failures > 0) await sleep(delay, this.abort.signal);
      if (!this.running) return;
      if (!this.identity) {
        const outcome = await this.connect();
        if (outcome === "auth_failed") return;
        failures = outcome === "retry" ? failures + 1 : 0;
        delay = retryDelayMs(failures);
        continue;
      }
      // After a failure the first poll returns at once, so "connected" is reported as soon
      // as Telegram answers rather than when the next long poll ends.
      const timeout = this.status === "connected" ? POLL_TIMEOUT_SECONDS : 0;
      let updates: Update[];
      try {
        updates = await this.api.getUpdates(
          { offset: this.offset, timeout, allowed_updates: ALLOWED_UPDATES },
          this.signal(),
        );
      } catch (error) {
        if (!this.running) return;
        if (isUnauthorized(error)) {
          this.setState("auth_failed", AUTH_FAILED_DETAIL);
          return;
        }
        failures += 1;
        delay = retryAfterMs(error) ?? retryDelayMs(failures);
        this.setState("reconnecting", `polling failed (${describeError(error)})`);
        this.log.warn({ err: error, retryInMs: delay }, "telegram polling failed");
        continue;
      }
      failures = 0;
      this.setState("connected");
      for (const update of updates) {
        if (!this.running) return;
        const outcome = await this.inbound.push(this.translate(update));
        if (outcome === "stopped") return;
        if (update.callback_query) this.answerTap(update.callback_query);
        this.offset = update.update_id + 1;
      }
    }
  }

  /** The event an update stands for, if any; the chat it shows the bot in is announced. */
  private translate(update: Update): InboundEvent | null {
    const identity = this.identity;
    if (!identity) return null;
    const { event, chat } = translateUpdate(
      update,
      { bot: identity, assistantName: this.assistantName },
      this.files,
    );
    if (chat) this.chats.announce(this.host, discoveredChat(chat));
    return event;
  }

  /**
   * Ends the button's spinner. Whether the tap answered anything is not said: a sender who
   * may not answer sees nothing happen, and the question's message changes when it is over.
   */
  private answerTap(tap: CallbackQuery): void {
    this.api.answerCallbackQuery(tap.id).catch((error: unknown) => {
      this.log.debug({ err: error }, "could not answer a telegram callback query");
    });
  }

  private async sendHtml(
    chatId: string,
    source: string,
    html: string,
    extra: ReturnType<typeof replyOptions> & {
      reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
    },
  ): Promise<Message> {
    try {
      return await this.api.sendMessage(chatId, html, { parse_mode: "HTML", ...extra });
    } catch (error) {
      if (!isEntityParseError(error)) throw error;
      // Better an unformatted reply than none.
      this.log.warn({ err: error }, "telegram rejected the rendered HTML; sending plain text");
      return await this.api.sendMessage(chatId, source, extra);
    }
  }

  private async editHtml(chatId: string, messageId: number, source: string, html: string) {
    try {
      await this.api.editMessageText(chatId, messageId, html, { parse_mode: "HTML" });
    } catch (error) {
      if (isNotModified(error)) return;
      if (!isEntityParseError(error)) throw error;
      this.log.warn({ err: error }, "telegram rejected the rendered HTML; editing in plain text");
      await this.api.editMessageText(chatId, messageId, source).catch((plain: unknown) => {
        if (!isNotModified(plain)) throw plain;
      });
    }
  }

  private async sendTyping(chatId: string): Promise<boolean> {
    try {
      await this.api.sendChatAction(chatId, "typing");
      return true;
    } catch (error) {
      this.log.debug({ err: error }, "telegram typing indicator failed");
      // Typing is a courtesy; a chat that refuses it for good (kicked, blocked) stops being asked.
      return isTransient(error);
    }
  }
}
