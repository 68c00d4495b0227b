// The WhatsApp adapter: the assistant's own number as a linked device through Baileys.
// It links by pairing code (WHATSAPP_PHONE) or QR, keeps the link in an atomic on-disk
// auth state, reconnects with backoff when the connection drops, stops for good when
// WhatsApp logs the device out or another client takes over, and paces what it sends.
import {
  Browsers,
  makeCacheableSignalKeyStore,
  type AnyMessageContent,
  type AuthenticationCreds,
  type ConnectionState,
  type MiscMessageGenerationOptions,
  type WAMessage,
  type WAMessageKey,
  type proto,
} from "baileys";
import {
  TransientSendError,
  type Channel,
  type ChannelHost,
  type ChannelStatus,
  type InboundEvent,
  type SendOptions,
} from "../channel.ts";
import { splitMessage } from "../split.ts";
import type { Logger } from "../../log.ts";
import { attachmentsOf, DEFAULT_MAX_ATTACHMENT_BYTES, type MediaSource } from "./attachments.ts";
import { useAtomicAuthState, type AtomicAuthState } from "./auth-state.ts";
import { markdownToWhatsApp } from "./format.ts";
import { GroupDirectory } from "./group-directory.ts";
import { jidUser, type SelfIdentity } from "./identity.ts";
import { toInboundEvent, type InboundContext } from "./inbound.ts";
import { RecentMap } from "./recent-map.ts";
import { closeVerdict, describeClose, reconnectDelayMs, UpgradeRefusedError } from "./reconnect.ts";
import { backoffMs } from "../../time/backoff.ts";
import { toSendError } from "./send-errors.ts";
import { SendPacer } from "./send-pacer.ts";
import { baileysSocketFactory, type WhatsAppSocket, type WhatsAppSocketFactory } from "./socket.ts";

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

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
const RECEIVE_ATTEMPTS = 5;
const SOCKET_CLOSE_WAIT_MS = 3000;
const RECENT_MESSAGES = 1000;
const KNOWN_NAMES = 5000;

const REPLACED_DETAIL =
  "Another WhatsApp Web session with these credentials took over (440 connection replaced). " +
  "Not reconnecting, so the two do not keep kicking each other out: stop the other instance, then restart Pincer.";
const FORBIDDEN_DETAIL =
  "WhatsApp refused this account (403 forbidden); the number may be banned. Check the phone.";

function loggedOutDetail(authDir: string): string {
  return (
    "WhatsApp logged this device out (401): it was unlinked on the phone or its keys are no longer valid. " +
    `The old link data is kept in ${authDir}. To link again, stop Pincer, move or delete that directory, ` +
    "and start Pincer again for a new pairing code."
  );
}

const QR_DETAIL =
  "Scan the QR code on the setup page: on the phone, WhatsApp → Settings → Linked devices → Link a device.";

function pairingDetail(code: string, phone: string): string {
  const shown = code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
  return (
    `Pairing code: ${shown}. On the phone with number +${phone}, open WhatsApp → Settings → ` +
    'Linked devices → Link a device → "Link with phone number instead" and enter the code.'
  );
}

/**
 * Linked once pairing finished: a pairing code sets `registered`, any pairing records the
 * signed `account`. A device without either must register afresh.
 */
function isLinked(creds: AuthenticationCreds): boolean {
  return Boolean(creds.me?.id) && (creds.registered || Boolean(creds.account));
}

/** Pino child at warn at most: Baileys logs every frame and key operation below that. */
function baileysLogger(log: Logger): Logger {
  const warn = log.levels.values.warn ?? 40;
  return log.child({ module: "baileys" }, { level: log.levelVal > warn ? log.level : "warn" });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

interface RecentMessage {
  chatId: string;
  message: WAMessage;
}

export class WhatsAppChannel implements Channel {
  readonly name = "whatsapp" as const;
  private readonly authDir: string;
  private readonly phone: string | undefined;
  private readonly wsUrl: string | undefined;
  private readonly assistantName: string;
  private readonly log: Logger;
  private readonly baileysLog: Logger;
  private readonly maxAttachmentBytes: number;
  private readonly socketFactory: WhatsAppSocketFactory;
  private readonly pacer: SendPacer;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly groups: GroupDirectory;
  private readonly names = new RecentMap<string, string>(KNOWN_NAMES);
  /** Received messages, for quoting and reacting to them. */
  private readonly received = new RecentMap<string, RecentMessage>(RECENT_MESSAGES);
  /** Sent messages, so Baileys can re-encrypt one a recipient failed to decrypt. */
  private readonly sent = new RecentMap<string, proto.IMessage>(RECENT_MESSAGES);
  private readonly seenChats = new Map<string, string>();
  private readonly typing = new Map<string, NodeJS.Timeout>();
  private readonly openWaiters = new Set<(open: boolean) => void>();
  private host: ChannelHost | null = null;
  private auth: AtomicAuthState | null = null;
  private sock: WhatsAppSocket | null = null;
  private open = false;
  private running = false;
  private failures = 0;
  private reconnectTimer: unknown = null;
  private abort = new AbortController();
  private inbound: Promise<void> = Promise.resolve();
  private status: ChannelStatus | null = null;
  private detail: string | undefined;
  private qr: string | undefined;

  constructor(options: WhatsAppChannelOptions) {
    this.authDir = options.authDir;
    const phone = options.phone?.replace(/\D/g, "");
    this.phone = phone ? phone : undefined;
    this.wsUrl = options.wsUrl;
    this.assistantName = options.assistantName;
    this.log = options.logger.child({ channel: "whatsapp" });
    this.baileysLog = baileysLogger(this.log);
    this.maxAttachmentBytes = options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
    this.socketFactory = options.socketFactory ?? baileysSocketFactory;
    this.random = options.random ?? Math.random;
    this.pacer = new SendPacer({
      minGapMs: options.sendGapMs ?? DEFAULT_SEND_GAP_MS,
      jitterMs: options.sendJitterMs ?? DEFAULT_SEND_JITTER_MS,
      random: this.random,
    });
    this.backoff = {
      baseMs: options.reconnectBaseMs ?? DEFAULT_RECONNECT_BASE_MS,
      maxMs: options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS,
    };
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    this.groups = new GroupDirectory((jid) => {
      if (!this.sock) return Promise.reject(new Error("WhatsApp is not connected"));
      return this.sock.groupMetadata(jid);
    }, this.log);
  }

  async start(host: ChannelHost): Promise<void> {
    if (this.running) return;
    this.host = host;
    try {
      this.auth = await useAtomicAuthState(this.authDir);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.error({ err: error }, "cannot read the WhatsApp link data");
      this.setState(
        "auth_failed",
        `Cannot read the WhatsApp link data in ${this.authDir}: ${reason}`,
      );
      return;
    }
    this.running = true;
    this.failures = 0;
    this.abort = new AbortController();
    this.setState("connecting");
    this.connect();
  }

  async stop(): Promise<void> {
    const wasRunning = this.running;
    this.running = false;
    this.abort.abort();
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    for (const timer of this.typing.values()) clearInterval(timer);
    this.typing.clear();
    const sock = this.sock;
    this.sock = null;
    this.markOpen(false);
    if (sock) await this.closeSocket(sock);
    await this.inbound;
    await this.auth?.flush();
    if (wasRunning) this.setState("stopped");
  }

  async send(chatId: string, markdown: string, _options: SendOptions): Promise<string[]> {
    this.stopTyping(chatId);
    const chunks = splitMessage(markdown, SPLIT_LIMIT)
      .map(markdownToWhatsApp)
      .filter((chunk) => chunk.trim() !== "");
    const ids: string[] = [];
    for (const text of chunks) {
      ids.push(await this.sendContent(chatId, { text }, {}, ids.length > 0));
    }
    return ids;
  }

  async setTyping(chatId: string, typing: boolean): Promise<void> {
    this.stopTyping(chatId);
    if (!this.open) return;
    if (!typing) {
      await this.sendPresence("paused", chatId);
      return;
    }
    this.typing.set(
      chatId,
      setInterval(() => void this.sendPresence("composing", chatId), TYPING_REFRESH_MS),
    );
    await this.sendPresence("composing", chatId);
  }

  async react(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    const key: WAMessageKey = this.received.get(messageId)?.message.key ?? {
      remoteJid: chatId,
      id: messageId,
      fromMe: false,
    };
    // An empty reaction text removes the reaction.
    await this.sendContent(chatId, { react: { text: emoji ?? "", key } }, {}, false);
  }

  private setState(status: ChannelStatus, detail?: string, qr?: string): void {
    if (status === this.status && detail === this.detail && qr === this.qr) return;
    this.status = status;
    this.detail = detail;
    this.qr = qr;
    this.host?.setState({
      status,
      ...(detail === undefined ? {} : { detail }),
      ...(qr === undefined ? {} : { qr }),
    });
  }

  private connect(): void {
    const auth = this.auth;
    if (!this.running || !auth) return;
    const { creds, keys } = auth.state;
    const linked = isLinked(creds);
    // A pairing that never finished left a provisional identity behind; registering
    // afresh is the only way to get a new code or QR accepted.
    if (!linked) creds.me = undefined;
    let sock: WhatsAppSocket;
    try {
      sock = this.socketFactory({
        auth: { creds, keys: makeCacheableSignalKeyStore(keys, this.baileysLog) },
        logger: this.baileysLog,
        browser: Browsers.ubuntu("Chrome"),
        // Staying "offline" keeps notifications flowing to the owner's phone.
        markOnlineOnConnect: false,
        syncFullHistory: false,
        getMessage: async (key) => this.sent.get(key.id ?? ""),
        cachedGroupMetadata: async (jid) => this.groups.cached(jid),
        ...(this.wsUrl ? { waWebSocketUrl: this.wsUrl } : {}),
      });
    } catch (error) {
      this.log.error({ err: error }, "could not create the WhatsApp socket");
      this.scheduleReconnect(error);
      return;
    }
    this.sock = sock;
    sock.ws.on("unexpected-response", (_request, response) => {
      response.resume();
      void sock.end(new UpgradeRefusedError(response.statusCode ?? 0));
    });
    sock.ev.on("creds.update", () => this.saveCreds());
    sock.ev.on("connection.update", (update) => this.onConnectionUpdate(sock, update));
    sock.ev.on("messages.upsert", ({ messages, type }) => {
      if (sock === this.sock && type === "notify") this.enqueueInbound(messages);
    });
    sock.ev.on("groups.update", (changes) => {
      for (const change of changes) this.groups.update(change);
    });
    if (!linked && this.phone) this.requestPairingCodeWhenReady(sock, this.phone);
  }

  /**
   * Asks for a pairing code as soon as the encrypted session is up, i.e. on the first
   * decoded frame after the Noise handshake. Earlier the request cannot be sent, and the
   * QR event some guides wait for is not sent by every server.
   */
  private requestPairingCodeWhenReady(sock: WhatsAppSocket, phone: string): void {
    let asked = false;
    sock.ws.on("frame", (frame) => {
      if (asked || frame instanceof Uint8Array || sock !== this.sock) return;
      asked = true;
      sock.requestPairingCode(phone).then(
        (code) => {
          if (sock !== this.sock) return;
          this.setState("pairing", pairingDetail(code, phone));
          this.log.info("whatsapp pairing code issued; enter it on the phone");
        },
        (error: unknown) => this.log.warn({ err: error }, "whatsapp pairing code request failed"),
      );
    });
  }

  private saveCreds(): void {
    this.auth
      ?.saveCreds()
      .catch((error: unknown) => this.log.error({ err: error }, "could not save WhatsApp creds"));
  }

  private onConnectionUpdate(sock: WhatsAppSocket, update: Partial<ConnectionState>): void {
    if (sock !== this.sock) return;
    if (update.qr && !this.phone) this.setState("pairing", QR_DETAIL, update.qr);
    if (update.connection === "open") {
      this.failures = 0;
      this.markOpen(true);
      this.setState("connected");
      this.log.info({ user: this.auth?.state.creds.me?.id }, "whatsapp connected");
    } else if (update.connection === "close") {
      this.sock = null;
      this.markOpen(false);
      this.onClose(update.lastDisconnect?.error);
    }
  }

  private onClose(error: unknown): void {
    if (!this.running) return;
    const verdict = closeVerdict(error);
    if (verdict === "logged_out") return this.halt("logged_out", loggedOutDetail(this.authDir));
    if (verdict === "replaced") return this.halt("stopped", REPLACED_DETAIL);
    if (verdict === "forbidden") return this.halt("auth_failed", FORBIDDEN_DETAIL);
    this.scheduleReconnect(error);
  }

  private halt(status: ChannelStatus, detail: string): void {
    this.log.warn({ status }, detail);
    this.setState(status, detail);
  }

  private scheduleReconnect(error: unknown): void {
    // WhatsApp asks for a restart right after pairing; that one is not a failure to wait out.
    const immediate = closeVerdict(error) === "restart" && this.failures === 0;
    this.failures += 1;
    const delay = immediate ? 0 : reconnectDelayMs(this.failures, this.backoff, this.random);
    const seconds = Math.max(1, Math.round(delay / 1000));
    this.setState(
      "reconnecting",
      immediate
        ? `WhatsApp asked for a new connection (${describeClose(error)})`
        : `connection closed (${describeClose(error)}); retrying in ${seconds}s`,
    );
    if (immediate) this.log.info("whatsapp restarting the connection as asked");
    else this.log.warn({ err: error, retryInMs: delay }, "whatsapp connection closed");
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private markOpen(open: boolean): void {
    this.open = open;
    if (!open && this.running) return;
    for (const waiter of this.openWaiters) waiter(open);
    this.openWaiters.clear();
  }

  /** True once connected again, false on timeout or stop. */
  private waitForOpen(timeoutMs: number): Promise<boolean> {
    if (this.open) return Promise.resolve(true);
    if (!this.running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (open: boolean) => {
        clearTimeout(timer);
        resolve(open);
      };
      const timer = setTimeout(() => {
        this.openWaiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.openWaiters.add(waiter);
    });
  }

  /**
   * Ends the connection without logging out, so the link stays valid for the next start.
   * Baileys' end() drops its listeners before closing the WebSocket, which leaves requests
   * in flight to run out their 60 s timers; closing the WebSocket first fails them at once.
   */
  private async closeSocket(sock: WhatsAppSocket): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      sock.ws.close().catch((error: unknown) => {
        this.log.debug({ err: error }, "whatsapp websocket close failed");
      }),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SOCKET_CLOSE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    await sock.end(undefined);
  }

  private connectedSocket(): WhatsAppSocket {
    if (!this.open || !this.sock) {
      throw new TransientSendError(`WhatsApp is not connected (${this.status ?? "stopped"})`);
    }
    return this.sock;
  }

  /**
   * Sends one message and returns its id. A later chunk of a reply waits for a reconnect
   * and retries in place, since the core retrying the whole reply would repeat what is out.
   */
  private async sendContent(
    chatId: string,
    content: AnyMessageContent,
    options: MiscMessageGenerationOptions,
    retryInPlace: boolean,
  ): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const sock = this.connectedSocket();
        await this.pacer.wait();
        const message = await sock.sendMessage(chatId, content, options);
        const id = message?.key.id;
        if (!id) throw new Error("WhatsApp accepted the send but returned no message id");
        if (message.message) this.sent.set(id, message.message);
        return id;
      } catch (error) {
        const sendError = toSendError(error);
        const retry = retryInPlace && sendError instanceof TransientSendError;
        if (!retry || attempt >= CHUNK_ATTEMPTS) throw sendError;
        this.log.warn({ err: error, attempt }, "whatsapp reply chunk failed; waiting to reconnect");
        if (!(await this.waitForOpen(CHUNK_RECONNECT_WAIT_MS))) throw sendError;
      }
    }
  }

  private async sendPresence(type: "composing" | "paused", chatId: string): Promise<void> {
    const sock = this.open ? this.sock : null;
    if (!sock) return;
    try {
      await sock.sendPresenceUpdate(type, chatId);
    } catch (error) {
      // Typing is a courtesy; a failure here must not fail the reply.
      this.log.debug({ err: error }, "whatsapp presence update failed");
    }
  }

  private stopTyping(chatId: string): void {
    const timer = this.typing.get(chatId);
    if (timer === undefined) return;
    clearInterval(timer);
    this.typing.delete(chatId);
  }

  private self(): SelfIdentity {
    const me = this.auth?.state.creds.me;
    return { pn: me?.id, lid: me?.lid };
  }

  private inboundContext(sock: WhatsAppSocket): InboundContext {
    const media: MediaSource = {
      maxBytes: this.maxAttachmentBytes,
      logger: this.baileysLog,
      reupload: (message) => {
        if (!this.sock) return Promise.reject(new Error("WhatsApp is not connected"));
        return this.sock.updateMediaMessage(message);
      },
    };
    return {
      self: this.self(),
      assistantName: this.assistantName,
      lids: sock.signalRepository.lidMapping,
      names: this.names,
      groupName: async (jid) => (await this.groups.metadata(jid))?.subject,
      attachments: (message, content) => attachmentsOf(message, content, media),
    };
  }

  /** Messages are handed to the core one at a time, in the order WhatsApp delivered them. */
  private enqueueInbound(messages: WAMessage[]): void {
    const sock = this.sock;
    if (!sock) return;
    this.inbound = this.inbound
      .then(() => this.receiveAll(sock, messages))
      .catch((error: unknown) => this.log.error({ err: error }, "whatsapp inbound failed"));
  }

  private async receiveAll(sock: WhatsAppSocket, messages: WAMessage[]): Promise<void> {
    const context = this.inboundContext(sock);
    for (const message of messages) {
      if (!this.running) return;
      let event: InboundEvent | null;
      try {
        event = await toInboundEvent(message, context);
      } catch (error) {
        this.log.warn({ err: error, id: message.key.id }, "could not read a WhatsApp message");
        continue;
      }
      if (!event) continue;
      if (event.type === "message") {
        const { chatId, messageId, chatName, senderName, isGroup } = event.message;
        this.received.set(messageId, { chatId, message });
        this.discover(chatId, chatName ?? (isGroup ? jidUser(chatId) : senderName), isGroup);
      }
      await this.deliver(event);
    }
  }

  /**
   * Baileys acknowledges a message to WhatsApp when it decrypts it, so WhatsApp will not
   * deliver it again: a failed store is retried here a few times before it is given up.
   */
  private async deliver(event: InboundEvent): Promise<void> {
    const host = this.host;
    if (!host) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await host.receive(event);
        return;
      } catch (error) {
        if (!this.running || attempt >= RECEIVE_ATTEMPTS) {
          this.log.error({ err: error, event: event.type }, "whatsapp message could not be stored");
          return;
        }
        this.log.warn({ err: error, attempt }, "whatsapp message not stored yet; retrying");
        await sleep(backoffMs(attempt, 500), this.abort.signal);
      }
    }
  }

  private discover(chatId: string, name: string | undefined, isGroup: boolean): void {
    const label = name ?? chatId;
    if (this.seenChats.get(chatId) === label) return;
    this.seenChats.set(chatId, label);
    this.host?.discovered({ chatId, name: label, isGroup });
  }
}
