// The Matrix adapter: matrix-js-sdk's MatrixClient for the API calls (typed requests, error
// types, media URLs) with our own /sync loop instead of the SDK's startClient(), because the
// sync token must move only after the events before it are committed: the token is saved
// (atomically, in the channel's auth dir) once the kit's queue has stored every event of a
// batch, so a restart resumes from there and nothing is replayed or lost. The very first
// start skips the rooms' history and only listens from then on. The SDK is built without a
// scheduler: a 429 reaches the outbox as a TransientSendError instead of being retried blind.
// Rooms are chats; invites from MATRIX_ALLOWED_INVITERS are accepted. Encrypted rooms are not
// read yet: their events are undecryptable here and the state says so.
import { mkdir, readFile } from "node:fs/promises";
import { MatrixClient } from "matrix-js-sdk";
import { registerSecret, type Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import { sleep } from "../../time/sleep.ts";
import { TransientSendError } from "../channel.ts";
import type {
  Channel,
  ChannelHost,
  ChannelStatus,
  OutboundFile,
  SendFileOptions,
  SendOptions,
} from "../channel.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { ConnectionLoop } from "../kit/connection-loop.ts";
import { InboundQueue, type InboundOutcome } from "../kit/inbound-queue.ts";
import { sendPieces, waitOutRateLimits } from "../kit/reply-pieces.ts";
import { TypingRefresher } from "../kit/typing-refresher.ts";
import { splitMessage } from "../split.ts";
import { translateEvent, type MatrixRawEvent } from "./inbound.ts";
import { editContent, fileContent, reactionContent, textContent } from "./outbound.ts";
import { encryptedRoomsDetail, learn, loadRoomInfo, roomContext, type RoomInfo } from "./rooms.ts";
import { sdkLogger } from "./sdk-logger.ts";
import { describe, isUnknownToken, toSendError } from "./send-errors.ts";
import { invitesIn, joinRoom, sync, SyncToken, type SyncResponse } from "./sync.ts";

export interface MatrixChannelOptions {
  homeserverUrl: string;
  accessToken: string;
  /** Users whose invites the bot accepts (the owner, people they trust). */
  allowedInviters: readonly string[];
  /** Where the sync token is kept across restarts. */
  stateDir: string;
  assistantName: string;
  logger: Logger;
}

/** Matrix has no message limit below its 64 KiB event size; long replies read better split. */
const MESSAGE_LIMIT = 16_000;
const POLL_TIMEOUT_MS = 30_000;
/** Typing is shown for the timeout asked (30 s) and renewed before it lapses. */
const TYPING_TIMEOUT_MS = 30_000;
const TYPING_REFRESH_MS = 20_000;
const PIECE_ATTEMPTS = 4;
const MAX_PIECE_WAIT_MS = 60_000;
const MAX_BACKOFF_MS = 60_000;
const AUTH_FAILED_DETAIL =
  "the homeserver rejected the access token (M_UNKNOWN_TOKEN); create a new one (Element: Settings > Help & About > Access token, or log in with the API) and set MATRIX_ACCESS_TOKEN";

export class MatrixChannel implements Channel {
  readonly name = "matrix" as const;
  readonly #client: MatrixClient;
  readonly #options: MatrixChannelOptions;
  readonly #log: Logger;
  readonly #inbound: InboundQueue;
  readonly #connection: ConnectionLoop;
  readonly #chats = new DiscoveredChats();
  readonly #typing: TypingRefresher;
  readonly #token: SyncToken;
  readonly #rooms = new Map<string, RoomInfo>();
  /** The bot's reaction event per (room, message), to redact it when cleared. */
  readonly #reactions = new Map<string, string>();
  #userId = "";
  #host: ChannelHost | null = null;
  /** The homeserver's m.upload.size, once read (Channel.maxFileBytes). */
  maxFileBytes: number | undefined;

  constructor(options: MatrixChannelOptions) {
    registerSecret(options.accessToken);
    this.#options = options;
    this.#log = options.logger.child({ channel: "matrix" });
    this.#client = new MatrixClient({
      baseUrl: options.homeserverUrl.replace(/\/+$/, ""),
      accessToken: options.accessToken,
      logger: sdkLogger(this.#log),
    });
    this.#inbound = new InboundQueue({ logger: this.#log });
    this.#token = new SyncToken(options.stateDir);
    this.#connection = new ConnectionLoop(this.#inbound, (signal) => this.#run(signal));
    this.#typing = new TypingRefresher(TYPING_REFRESH_MS, (roomId) =>
      this.#sendTyping(roomId, true),
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

  async send(roomId: string, markdown: string, _options: SendOptions): Promise<string[]> {
    return this.#sendOrEdit(roomId, undefined, markdown);
  }

  async edit(
    roomId: string,
    eventId: string,
    markdown: string,
    _options: SendOptions,
  ): Promise<string[]> {
    return this.#sendOrEdit(roomId, eventId, markdown);
  }

  async deleteMessage(roomId: string, eventId: string): Promise<void> {
    try {
      await this.#client.redactEvent(roomId, eventId);
    } catch (error) {
      throw toSendError(error);
    }
  }

  /**
   * Sends the pieces of a reply; with `editId` the first one replaces that event's text by an
   * m.replace edit (clients show the new text in place; "* " marks the fallback body).
   */
  async #sendOrEdit(
    roomId: string,
    editId: string | undefined,
    markdown: string,
  ): Promise<string[]> {
    this.#typing.stop(roomId);
    return sendPieces({
      pieces: splitMessage(markdown, MESSAGE_LIMIT).filter((piece) => piece.trim() !== ""),
      send: async (piece, index) => {
        try {
          const content = textContent(piece);
          if (index === 0 && editId !== undefined) {
            const edit = editContent(content, editId);
            await this.#client.sendEvent(roomId, "m.room.message" as never, edit as never);
            return editId;
          }
          return (await this.#client.sendEvent(roomId, "m.room.message" as never, content as never))
            .event_id;
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

  /** Uploads the file to the homeserver's media repository, then posts it (see fileContent). */
  async sendFile(roomId: string, file: OutboundFile, options: SendFileOptions): Promise<string[]> {
    this.#typing.stop(roomId);
    const data = await readFile(file.path);
    try {
      const { content_uri: url } = await this.#client.uploadContent(data, {
        name: file.name,
        type: file.mimeType,
      });
      const content = fileContent(file, url, options.caption);
      const sent = await this.#client.sendEvent(
        roomId,
        "m.room.message" as never,
        content as never,
      );
      return [sent.event_id];
    } catch (error) {
      throw toSendError(error);
    }
  }

  async setTyping(roomId: string, typing: boolean): Promise<void> {
    if (typing) return this.#typing.start(roomId);
    this.#typing.stop(roomId);
    await this.#sendTyping(roomId, false);
  }

  async react(roomId: string, eventId: string, emoji: string | null): Promise<void> {
    const key = `${roomId}\u0000${eventId}`;
    const previous = this.#reactions.get(key);
    try {
      if (previous) {
        await this.#client.redactEvent(roomId, previous);
        this.#reactions.delete(key);
      }
      if (emoji === null) return;
      const relation = reactionContent(eventId, emoji);
      const sent = await this.#client.sendEvent(roomId, "m.reaction" as never, relation as never);
      this.#reactions.set(key, sent.event_id);
    } catch (error) {
      throw toSendError(error);
    }
  }

  #setState(status: ChannelStatus, detail?: string): void {
    this.#host?.setState(detail === undefined ? { status } : { status, detail });
  }

  /** Connected, noting the encrypted rooms the bot cannot read yet. */
  #connected(): void {
    this.#setState("connected", encryptedRoomsDetail(this.#rooms));
  }

  async #sendTyping(roomId: string, typing: boolean): Promise<boolean> {
    // Before whoami answered the SDK cannot name the bot in the typing path.
    if (!this.#userId) return true;
    try {
      await this.#client.sendTyping(roomId, typing, TYPING_TIMEOUT_MS);
      return true;
    } catch (error) {
      this.#log.debug({ err: error }, "matrix typing indicator failed");
      return toSendError(error) instanceof TransientSendError;
    }
  }

  /**
   * The homeserver's upload limit, so send_file refuses a file it would reject with the
   * server's own figure. Authenticated media (Matrix 1.11) first, then the older endpoint;
   * a server that answers neither keeps Synapse's default (file-limits.ts).
   */
  async #readUploadLimit(): Promise<void> {
    for (const authenticated of [true, false]) {
      try {
        const size = (await this.#client.getMediaConfig(authenticated))["m.upload.size"];
        if (typeof size === "number" && size > 0) this.maxFileBytes = size;
        return;
      } catch (error) {
        if (isUnknownToken(error)) throw error;
      }
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let since: string | undefined;
    while (!signal.aborted) {
      if (failures > 0) await sleep(backoffMs(failures, 500, MAX_BACKOFF_MS), signal);
      if (signal.aborted) return;
      try {
        if (!this.#userId) {
          this.#userId = (await this.#client.whoami()).user_id;
          // The SDK names the bot in some paths (typing); only the token was known before.
          this.#client.credentials.userId = this.#userId;
          await this.#readUploadLimit();
          await mkdir(this.#options.stateDir, { recursive: true, mode: 0o700 });
          since = await this.#token.read();
          this.#log.info(
            { resumes: Boolean(since) },
            since
              ? "matrix sync resumes where it stopped"
              : "matrix first start: the rooms' history is skipped",
          );
          if (!since) {
            // First start: the rooms' history is not news; listen from here on.
            const initial = await sync(this.#client, undefined, 0, signal);
            await this.#acceptInvites(initial);
            since = initial.next_batch;
            await this.#token.save(since);
          }
          this.#connected();
        }
        const batch = await sync(this.#client, since, failures > 0 ? 0 : POLL_TIMEOUT_MS, signal);
        if (failures > 0) this.#connected();
        failures = 0;
        if ((await this.#process(batch)) === "stopped") return;
        since = batch.next_batch;
        await this.#token.save(since);
      } catch (error) {
        if (signal.aborted) return;
        if (isUnknownToken(error)) {
          this.#setState("auth_failed", AUTH_FAILED_DETAIL);
          this.#log.error("the homeserver rejected the matrix access token");
          return;
        }
        failures += 1;
        this.#setState("reconnecting", `cannot sync with the homeserver (${describe(error)})`);
        this.#log.warn({ err: error }, "matrix sync failed; retrying");
      }
    }
  }

  /** Hands a batch's events to the core in order; resolves once all are stored. */
  async #process(batch: SyncResponse): Promise<InboundOutcome | "done"> {
    await this.#acceptInvites(batch);
    const outcomes: Promise<InboundOutcome>[] = [];
    for (const [roomId, room] of Object.entries(batch.rooms?.join ?? {})) {
      const info = await this.#roomInfo(roomId);
      for (const event of room.state?.events ?? []) this.#learn(info, event);
      for (const event of room.timeline?.events ?? []) {
        this.#learn(info, event);
        const context = roomContext(roomId, info, this.#userId);
        this.#chats.announce(this.#host, {
          chatId: roomId,
          name: context.name,
          isGroup: context.isGroup,
        });
        if (info.encrypted && event.type === "m.room.encrypted") continue;
        outcomes.push(
          this.#inbound.push(
            translateEvent(
              event,
              context,
              { userId: this.#userId, assistantName: this.#options.assistantName },
              (mxc) => this.#download(mxc),
            ),
          ),
        );
      }
    }
    const results = await Promise.all(outcomes);
    return results.includes("stopped") ? "stopped" : "done";
  }

  async #acceptInvites(batch: SyncResponse): Promise<void> {
    for (const { roomId, inviter, allowed } of invitesIn(
      batch,
      this.#userId,
      this.#options.allowedInviters,
    )) {
      if (!allowed) {
        this.#log.info(
          { roomId, inviter },
          "matrix invite from someone not in MATRIX_ALLOWED_INVITERS; ignored",
        );
        continue;
      }
      try {
        await joinRoom(this.#client, roomId);
        this.#log.info({ roomId, inviter }, "matrix invite accepted");
      } catch (error) {
        this.#log.warn({ err: error, roomId }, "could not join a matrix room");
      }
    }
  }

  /** What the bot knows of a room: loaded once, then kept current from its events. */
  async #roomInfo(roomId: string): Promise<RoomInfo> {
    const known = this.#rooms.get(roomId);
    if (known) return known;
    const info = await loadRoomInfo(this.#client, roomId);
    this.#rooms.set(roomId, info);
    if (info.encrypted) this.#connected();
    return info;
  }

  #learn(info: RoomInfo, event: MatrixRawEvent): void {
    if (learn(info, event)) this.#connected();
  }

  async #download(mxc: string): Promise<Uint8Array> {
    const url = this.#client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
    if (!url) throw new Error(`not a media URI: ${mxc}`);
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${this.#options.accessToken}` },
      signal: this.#connection.signal,
    });
    if (!response.ok) throw new Error(`the homeserver answered ${response.status} for ${mxc}`);
    return new Uint8Array(await response.arrayBuffer());
  }
}
