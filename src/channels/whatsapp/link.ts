// The WhatsApp link: the assistant's own number as a linked device through Baileys. It
// links by pairing code (a phone number) or QR, keeps the link in an atomic on-disk auth
// state, reconnects with backoff when the connection drops, and stops for good when WhatsApp
// logs the device out or another client takes over. The channel (channel.ts) sends and
// receives through whichever socket is open.
import {
  Browsers,
  makeCacheableSignalKeyStore,
  type AuthenticationCreds,
  type ConnectionState,
  type GroupMetadata,
  type WAMessage,
  type proto,
} from "baileys";
import { TransientSendError, type ChannelStatus, type PairingPrompt } from "../channel.ts";
import type { Logger } from "../../log.ts";
import { useAtomicAuthState, type AtomicAuthState } from "./auth-state.ts";
import type { SelfIdentity } from "./identity.ts";
import { closeVerdict, describeClose, reconnectDelayMs, UpgradeRefusedError } from "./reconnect.ts";
import type { WhatsAppSocket, WhatsAppSocketFactory } from "./socket.ts";

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WhatsAppLinkOptions {
  authDir: string;
  /** Digits only; links by pairing code instead of QR. */
  phone: string | undefined;
  wsUrl: string | undefined;
  logger: Logger;
  socketFactory: WhatsAppSocketFactory;
  backoff: { baseMs: number; maxMs: number };
  timers: Timers;
  random: () => number;
}

/** What the link tells the channel. */
export interface WhatsAppLinkEvents {
  state(status: ChannelStatus, detail?: string, pairing?: PairingPrompt): void;
  /** New messages on the open socket ("notify" upserts only, not history). */
  messages(sock: WhatsAppSocket, messages: WAMessage[]): void;
  groupsUpdate(change: Partial<GroupMetadata>): void;
  /** A message we sent, so Baileys can re-encrypt it for a recipient that failed to decrypt it. */
  sentMessage(id: string): proto.IMessage | undefined;
  cachedGroupMetadata(jid: string): GroupMetadata | undefined;
}

const SOCKET_CLOSE_WAIT_MS = 3000;

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

export class WhatsAppLink {
  private readonly authDir: string;
  private readonly phone: string | undefined;
  private readonly wsUrl: string | undefined;
  private readonly log: Logger;
  /** Pino child at warn at most, for Baileys and the media it fetches. */
  readonly baileysLog: Logger;
  private readonly socketFactory: WhatsAppSocketFactory;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly events: WhatsAppLinkEvents;
  private readonly openWaiters = new Set<(open: boolean) => void>();
  private auth: AtomicAuthState | null = null;
  private sock: WhatsAppSocket | null = null;
  private open = false;
  private running = false;
  private failures = 0;
  private reconnectTimer: unknown = null;
  /** The last state reported, for a send's error text. */
  private status: ChannelStatus | null = null;

  constructor(options: WhatsAppLinkOptions, events: WhatsAppLinkEvents) {
    this.authDir = options.authDir;
    this.phone = options.phone;
    this.wsUrl = options.wsUrl;
    this.log = options.logger;
    this.baileysLog = baileysLogger(this.log);
    this.socketFactory = options.socketFactory;
    this.backoff = options.backoff;
    this.timers = options.timers;
    this.random = options.random;
    this.events = events;
  }

  /** Reads the link data and connects in the background; false when the link data is unreadable. */
  async start(): Promise<boolean> {
    if (this.running) return true;
    try {
      this.auth = await useAtomicAuthState(this.authDir);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.error({ err: error }, "cannot read the WhatsApp link data");
      this.setState(
        "auth_failed",
        `Cannot read the WhatsApp link data in ${this.authDir}: ${reason}`,
      );
      return false;
    }
    this.running = true;
    this.failures = 0;
    this.setState("connecting");
    this.connect();
    return true;
  }

  /** Closes the connection (the link stays valid) and flushes the link data. */
  async stop(): Promise<boolean> {
    const wasRunning = this.running;
    this.running = false;
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const sock = this.sock;
    this.sock = null;
    this.markOpen(false);
    if (sock) await this.closeSocket(sock);
    await this.auth?.flush();
    return wasRunning;
  }

  /** The socket when the connection is open, else null. */
  get openSocket(): WhatsAppSocket | null {
    return this.open ? this.sock : null;
  }

  /** The socket, connected or not (group look-ups and media re-uploads queue on it). */
  get socket(): WhatsAppSocket | null {
    return this.sock;
  }

  self(): SelfIdentity {
    const me = this.auth?.state.creds.me;
    return { pn: me?.id, lid: me?.lid };
  }

  private setState(status: ChannelStatus, detail?: string, pairing?: PairingPrompt): void {
    this.status = status;
    this.events.state(status, detail, pairing);
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
        getMessage: async (key) => this.events.sentMessage(key.id ?? ""),
        cachedGroupMetadata: async (jid) => this.events.cachedGroupMetadata(jid),
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
      if (sock === this.sock && type === "notify") this.events.messages(sock, messages);
    });
    sock.ev.on("groups.update", (changes) => {
      for (const change of changes) this.events.groupsUpdate(change);
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
          this.setState("pairing", pairingDetail(code, phone), { method: "code", code, phone });
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
    if (update.qr && !this.phone)
      this.setState("pairing", QR_DETAIL, { method: "qr", payload: update.qr });
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
  waitForOpen(timeoutMs: number): Promise<boolean> {
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

  /** The open socket, or a TransientSendError saying why there is none. */
  connectedSocket(): WhatsAppSocket {
    if (!this.open || !this.sock) {
      throw new TransientSendError(`WhatsApp is not connected (${this.status ?? "stopped"})`);
    }
    return this.sock;
  }
}
