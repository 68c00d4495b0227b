// The Signal adapter: a client of the owner's signal-cli daemon (HTTP mode). Incoming
// envelopes arrive on its event stream and reach the core through the kit's ordered queue;
// replies, reactions and typing are JSON-RPC calls. signal-cli itself confirms messages to
// Signal's servers as it receives them, so an envelope that arrives while Pincer is down or
// between two stream connections is not redelivered: the daemon holds nothing for a later
// reader. The adapter reconnects with backoff and says why it is not connected: the daemon is
// unreachable, or it has no such account (not registered or linked yet).
import type { Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import { sleep } from "../../time/sleep.ts";
import { TransientSendError } from "../channel.ts";
import type { Channel, ChannelHost, ChannelStatus, SendOptions } from "../channel.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { ConnectionLoop } from "../kit/connection-loop.ts";
import { InboundQueue } from "../kit/inbound-queue.ts";
import { sendPieces, waitOutRateLimits } from "../kit/reply-pieces.ts";
import { TypingRefresher } from "../kit/typing-refresher.ts";
import { splitMessage } from "../split.ts";
import { styledText } from "../styled-text.ts";
import { RATE_LIMIT_ERROR, SignalDaemon, SignalHttpError, SignalRpcError } from "./daemon.ts";
import {
  addressOf,
  messageId,
  parseMessageId,
  translateEnvelope,
  type SignalIdentity,
} from "./inbound.ts";

export interface SignalChannelOptions {
  /** The daemon's root URL (SIGNAL_CLI_URL), e.g. http://signal-cli.railway.internal:8080. */
  url: string;
  /** The account's number (SIGNAL_ACCOUNT), international format. */
  account: string;
  assistantName: string;
  logger: Logger;
}

/** Signal turns a longer message into a "read more" attachment; pieces stay below it. */
const MESSAGE_LIMIT = 2000;
/** Signal shows "typing…" for 15 seconds per request. */
const TYPING_REFRESH_MS = 12_000;
const PIECE_ATTEMPTS = 4;
const MAX_PIECE_WAIT_MS = 60_000;
const MAX_BACKOFF_MS = 60_000;
/** The daemon's I/O error: Signal's servers could not be reached; worth another try. */
const IO_ERROR = -3;

/** Linking guidance, shown while the daemon does not know the account. */
export function notRegisteredDetail(account: string): string {
  return (
    `signal-cli has no account ${account}: register it (signal-cli -a ${account} register, then verify) ` +
    `or link it to your phone (signal-cli link -n Pincer, scan the QR in Signal > Settings > Linked devices), ` +
    `then restart the daemon`
  );
}

function retryAfterMsOf(error: SignalRpcError): number | undefined {
  const response = (
    error.data as { response?: { results?: { retryAfterSeconds?: number }[] } } | null
  )?.response;
  const seconds = response?.results?.find(
    (result) => typeof result.retryAfterSeconds === "number",
  )?.retryAfterSeconds;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** A failed call as the outbox reads it: rate limits, I/O and network failures are retried. */
export function toSendError(error: unknown): Error {
  if (error instanceof SignalRpcError) {
    if (error.code === RATE_LIMIT_ERROR)
      return new TransientSendError(error.message, retryAfterMsOf(error));
    if (error.code === IO_ERROR) return new TransientSendError(error.message);
    return error;
  }
  if (error instanceof SignalHttpError)
    return error.status >= 500 ? new TransientSendError(error.message) : error;
  // fetch failed: the daemon is restarting or unreachable.
  if (error instanceof TypeError)
    return new TransientSendError(`cannot reach signal-cli (${error.message})`);
  return error instanceof Error ? error : new Error(String(error));
}

export class SignalChannel implements Channel {
  readonly name = "signal" as const;
  readonly #daemon: SignalDaemon;
  readonly #identity: SignalIdentity;
  readonly #url: string;
  readonly #log: Logger;
  readonly #inbound: InboundQueue;
  readonly #connection: ConnectionLoop;
  readonly #chats = new DiscoveredChats();
  readonly #typing: TypingRefresher;
  /** The bot's reaction per message: Signal removes a reaction by naming its emoji. */
  readonly #reactions = new Map<string, string>();
  #host: ChannelHost | null = null;

  constructor(options: SignalChannelOptions) {
    this.#url = options.url;
    this.#daemon = new SignalDaemon(options.url, options.account);
    this.#identity = { account: options.account, assistantName: options.assistantName };
    this.#log = options.logger.child({ channel: "signal" });
    this.#inbound = new InboundQueue({ logger: this.#log });
    this.#connection = new ConnectionLoop(this.#inbound, (signal) => this.#run(signal));
    this.#typing = new TypingRefresher(TYPING_REFRESH_MS, (chatId) =>
      this.#sendTyping(chatId, true),
    );
  }

  async start(host: ChannelHost): Promise<void> {
    if (this.#connection.running) return;
    this.#host = host;
    this.#connection.start(host);
  }

  async stop(): Promise<void> {
    this.#typing.stopAll();
    await this.#connection.stop();
  }

  async send(chatId: string, markdown: string, _options: SendOptions): Promise<string[]> {
    this.#typing.stop(chatId);
    return sendPieces({
      pieces: splitMessage(markdown, MESSAGE_LIMIT).filter((piece) => piece.trim() !== ""),
      send: async (piece) => {
        const { text, styles } = styledText(piece);
        try {
          const result = await this.#daemon.call<{ timestamp: number }>("send", {
            ...addressOf(chatId),
            message: text,
            // signal-cli's --text-style: "start:length:STYLE", offsets in UTF-16 units.
            ...(styles.length > 0
              ? { textStyle: styles.map((r) => `${r.start}:${r.length}:${r.style}`) }
              : {}),
          });
          return messageId(result.timestamp, this.#identity.account);
        } catch (error) {
          throw toSendError(error);
        }
      },
      retryLaterPiece: waitOutRateLimits({
        attempts: PIECE_ATTEMPTS,
        maxWaitMs: MAX_PIECE_WAIT_MS,
        logger: this.#log,
        signal: this.#connection.signal,
      }),
    });
  }

  async setTyping(chatId: string, typing: boolean): Promise<void> {
    if (typing) return this.#typing.start(chatId);
    this.#typing.stop(chatId);
    await this.#sendTyping(chatId, false);
  }

  async react(chatId: string, id: string, emoji: string | null): Promise<void> {
    const target = parseMessageId(id);
    if (!target) return;
    const key = `${chatId}\u0000${id}`;
    const current = this.#reactions.get(key);
    if (emoji === null && current === undefined) return;
    try {
      await this.#daemon.call("sendReaction", {
        ...addressOf(chatId),
        emoji: emoji ?? current,
        targetAuthor: target.author,
        targetTimestamp: target.timestamp,
        ...(emoji === null ? { remove: true } : {}),
      });
    } catch (error) {
      throw toSendError(error);
    }
    if (emoji === null) this.#reactions.delete(key);
    else this.#reactions.set(key, emoji);
  }

  #setState(status: ChannelStatus, detail?: string): void {
    this.#host?.setState(detail === undefined ? { status } : { status, detail });
  }

  async #sendTyping(chatId: string, typing: boolean): Promise<boolean> {
    try {
      await this.#daemon.call("sendTyping", {
        ...addressOf(chatId),
        ...(typing ? {} : { stop: true }),
      });
      return true;
    } catch (error) {
      this.#log.debug({ err: error }, "signal typing indicator failed");
      return toSendError(error) instanceof TransientSendError;
    }
  }

  /** Reads the event stream until stopped, reconnecting with backoff. */
  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      if (failures > 0) await sleep(backoffMs(failures, 500, MAX_BACKOFF_MS), signal);
      if (signal.aborted) return;
      let events: AsyncIterable<{ envelope: Record<string, unknown> }>;
      try {
        events = await this.#daemon.events(signal);
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        if (error instanceof SignalHttpError && error.status === 400) {
          this.#setState("logged_out", notRegisteredDetail(this.#identity.account));
          this.#log.error(
            "signal-cli does not know the account; waiting for it to be registered or linked",
          );
        } else {
          this.#setState(
            "reconnecting",
            `cannot reach signal-cli at ${this.#url} (${describe(error)})`,
          );
          this.#log.warn({ err: error }, "signal-cli event stream failed; retrying");
        }
        continue;
      }
      this.#setState("connected");
      try {
        for await (const { envelope } of events) {
          const { event, chat } = translateEnvelope(envelope, this.#identity, (id, chatId) =>
            this.#download(id, chatId),
          );
          if (chat) this.#chats.announce(this.#host, chat);
          if ((await this.#inbound.push(event)) === "stopped") return;
        }
        if (signal.aborted) return;
        this.#setState("reconnecting", "signal-cli closed the event stream");
      } catch (error) {
        if (signal.aborted) return;
        this.#setState("reconnecting", `the signal-cli event stream broke (${describe(error)})`);
        this.#log.warn({ err: error }, "signal-cli event stream broke; reconnecting");
      }
      // Connected once: the next attempt starts the backoff over.
      failures = 1;
    }
  }

  async #download(id: string, chatId: string): Promise<Uint8Array> {
    const address = addressOf(chatId);
    const params = "groupId" in address ? address : { recipient: address.recipient[0] };
    const { data } = await this.#daemon.call<{ data: string }>("getAttachment", { id, ...params });
    return new Uint8Array(Buffer.from(data, "base64"));
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ? `${error.message}: ${cause.code}` : error.message;
  }
  return String(error);
}
