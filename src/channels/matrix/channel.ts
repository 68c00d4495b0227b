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
import { join } from "node:path";
import { ConnectionError, MatrixClient, MatrixError, Method } from "matrix-js-sdk";
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
import { isPlainImage } from "../mime.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { ConnectionLoop } from "../kit/connection-loop.ts";
import { InboundQueue, type InboundOutcome } from "../kit/inbound-queue.ts";
import { sendPieces, waitOutRateLimits } from "../kit/reply-pieces.ts";
import { TypingRefresher } from "../kit/typing-refresher.ts";
import { renderHtml, withLineBreaks } from "../render-html.ts";
import { splitMessage } from "../split.ts";
import { styledText } from "../styled-text.ts";
import { writeFileAtomic } from "../../atomic-file.ts";
import {
  displayName,
  localpart,
  translateEvent,
  type MatrixRawEvent,
  type RoomContext,
} from "./inbound.ts";
import { sdkLogger } from "./sdk-logger.ts";

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
const TOKEN_FILE = "sync-token";
const AUTH_FAILED_DETAIL =
  "the homeserver rejected the access token (M_UNKNOWN_TOKEN); create a new one (Element: Settings > Help & About > Access token, or log in with the API) and set MATRIX_ACCESS_TOKEN";

interface SyncRoom {
  timeline?: { events?: MatrixRawEvent[] };
  state?: { events?: MatrixRawEvent[] };
  invite_state?: { events?: MatrixRawEvent[] };
}

interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, SyncRoom>; invite?: Record<string, SyncRoom> };
}

interface RoomInfo {
  name: string | null;
  members: Map<string, string>;
  encrypted: boolean;
}

/** A failed call as the outbox reads it: rate limits, server errors and lost connections retry. */
export function toSendError(error: unknown): Error {
  if (error instanceof MatrixError) {
    const status = error.httpStatus ?? 0;
    if (status === 429 || error.errcode === "M_LIMIT_EXCEEDED") {
      const retryAfter = (error.data as { retry_after_ms?: unknown }).retry_after_ms;
      return new TransientSendError(
        error.message,
        typeof retryAfter === "number" ? retryAfter : undefined,
      );
    }
    if (status >= 500) return new TransientSendError(error.message);
    return error;
  }
  if (error instanceof ConnectionError || error instanceof TypeError)
    return new TransientSendError(`cannot reach the homeserver (${error.message})`);
  return error instanceof Error ? error : new Error(String(error));
}

function isUnknownToken(error: unknown): boolean {
  return (
    error instanceof MatrixError &&
    (error.errcode === "M_UNKNOWN_TOKEN" || error.httpStatus === 401)
  );
}

export class MatrixChannel implements Channel {
  readonly name = "matrix" as const;
  readonly #client: MatrixClient;
  readonly #options: MatrixChannelOptions;
  readonly #log: Logger;
  readonly #inbound: InboundQueue;
  readonly #connection: ConnectionLoop;
  readonly #chats = new DiscoveredChats();
  readonly #typing: TypingRefresher;
  readonly #rooms = new Map<string, RoomInfo>();
  /** The bot's reaction event per (room, message), to redact it when cleared. */
  readonly #reactions = new Map<string, string>();
  #userId = "";
  #host: ChannelHost | null = null;

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
          const content = {
            msgtype: "m.text",
            body: styledText(piece).text,
            format: "org.matrix.custom.html",
            formatted_body: withLineBreaks(renderHtml(piece)),
          };
          if (index === 0 && editId !== undefined) {
            const edit = {
              ...content,
              body: `* ${content.body}`,
              "m.new_content": content,
              "m.relates_to": { rel_type: "m.replace", event_id: editId },
            };
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

  /**
   * Uploads the file to the homeserver's media repository, then posts it as m.image (images
   * clients show inline) or m.file. As Matrix 1.10 captions media: `filename` names the file
   * and `body` is the caption when there is one, else the name too.
   */
  async sendFile(roomId: string, file: OutboundFile, options: SendFileOptions): Promise<string[]> {
    this.#typing.stop(roomId);
    const data = await readFile(file.path);
    try {
      const { content_uri: url } = await this.#client.uploadContent(data, {
        name: file.name,
        type: file.mimeType,
      });
      const caption = options.caption
        ? {
            body: styledText(options.caption).text,
            format: "org.matrix.custom.html",
            formatted_body: withLineBreaks(renderHtml(options.caption)),
          }
        : { body: file.name };
      const content = {
        msgtype: isPlainImage(file.mimeType) ? "m.image" : "m.file",
        ...caption,
        filename: file.name,
        url,
        info: { mimetype: file.mimeType, size: file.size },
      };
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
      const relation = {
        "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key: emoji },
      };
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
    const encrypted = [...this.#rooms]
      .filter(([, room]) => room.encrypted)
      .map(([id, room]) => room.name ?? id);
    this.#setState(
      "connected",
      encrypted.length
        ? `the bot is in encrypted rooms it cannot read yet: ${encrypted.join(", ")}`
        : undefined,
    );
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

  #tokenFile(): string {
    return join(this.#options.stateDir, TOKEN_FILE);
  }

  async #readToken(): Promise<string | undefined> {
    try {
      return (await readFile(this.#tokenFile(), "utf8")).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async #sync(
    since: string | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<SyncResponse> {
    const query: Record<string, string> = { timeout: String(timeoutMs) };
    if (since) query.since = since;
    // A long poll that outlives its timeout by far hangs on a dead connection: give up on it.
    // (Not the SDK's localTimeoutMs: its timer is never cleared and would hold the process.)
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs + 30_000)]);
    return this.#client.http.authedRequest<SyncResponse>(Method.Get, "/sync", query, undefined, {
      abortSignal: deadline,
    } as Parameters<MatrixClient["http"]["authedRequest"]>[4]);
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
          await mkdir(this.#options.stateDir, { recursive: true, mode: 0o700 });
          since = await this.#readToken();
          this.#log.info(
            { resumes: Boolean(since) },
            since
              ? "matrix sync resumes where it stopped"
              : "matrix first start: the rooms' history is skipped",
          );
          if (!since) {
            // First start: the rooms' history is not news; listen from here on.
            const initial = await this.#sync(undefined, 0, signal);
            await this.#acceptInvites(initial);
            since = initial.next_batch;
            await writeFileAtomic(this.#tokenFile(), since);
          }
          this.#connected();
        }
        const batch = await this.#sync(since, failures > 0 ? 0 : POLL_TIMEOUT_MS, signal);
        if (failures > 0) this.#connected();
        failures = 0;
        if ((await this.#process(batch)) === "stopped") return;
        since = batch.next_batch;
        await writeFileAtomic(this.#tokenFile(), since);
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
        const context = this.#context(roomId, info);
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
    for (const [roomId, room] of Object.entries(batch.rooms?.invite ?? {})) {
      const invite = room.invite_state?.events?.find(
        (event) => event.type === "m.room.member" && event.state_key === this.#userId,
      );
      const inviter = invite?.sender;
      if (!inviter || !this.#options.allowedInviters.includes(inviter)) {
        this.#log.info(
          { roomId, inviter },
          "matrix invite from someone not in MATRIX_ALLOWED_INVITERS; ignored",
        );
        continue;
      }
      try {
        await this.#client.http.authedRequest(
          Method.Post,
          `/join/${encodeURIComponent(roomId)}`,
          undefined,
          {},
        );
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
    const path = (rest: string) => `/rooms/${encodeURIComponent(roomId)}${rest}`;
    const optional = <T>(request: Promise<T>) => request.catch(() => undefined);
    const [members, name, encryption] = await Promise.all([
      optional(
        this.#client.http.authedRequest<{ joined: Record<string, { display_name?: string }> }>(
          Method.Get,
          path("/joined_members"),
        ),
      ),
      optional(
        this.#client.http.authedRequest<{ name?: string }>(Method.Get, path("/state/m.room.name/")),
      ),
      optional(
        this.#client.http.authedRequest<{ algorithm?: string }>(
          Method.Get,
          path("/state/m.room.encryption/"),
        ),
      ),
    ]);
    const info: RoomInfo = {
      name: name?.name || null,
      members: new Map(
        Object.entries(members?.joined ?? {}).map(([id, member]) => [
          id,
          member.display_name || localpart(id),
        ]),
      ),
      encrypted: Boolean(encryption?.algorithm),
    };
    this.#rooms.set(roomId, info);
    if (info.encrypted) this.#connected();
    return info;
  }

  #learn(info: RoomInfo, event: MatrixRawEvent): void {
    if (event.type === "m.room.name") info.name = String(event.content.name ?? "") || null;
    if (event.type === "m.room.encryption" && !info.encrypted) {
      info.encrypted = true;
      this.#connected();
    }
    if (event.type === "m.room.member" && event.state_key) {
      if (event.content.membership === "join")
        info.members.set(
          event.state_key,
          String(event.content.displayname ?? "") || localpart(event.state_key),
        );
      else info.members.delete(event.state_key);
    }
  }

  #context(roomId: string, info: RoomInfo): RoomContext {
    const others = [...info.members.keys()].filter((id) => id !== this.#userId);
    const base: RoomContext = {
      roomId,
      name: "",
      isGroup: info.members.size > 2,
      displayNames: info.members,
    };
    return {
      ...base,
      name: info.name ?? (others.map((id) => displayName(id, base)).join(", ") || roomId),
    };
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

function describe(error: unknown): string {
  if (error instanceof MatrixError)
    return `${error.httpStatus ?? ""} ${error.errcode ?? ""} ${error.data.error ?? ""}`.trim();
  return error instanceof Error ? error.message : String(error);
}
