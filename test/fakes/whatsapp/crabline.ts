// Glue around @openclaw/crabline's loopback WhatsApp server for end-to-end tests through
// real Baileys: the server sits behind a TCP relay (to cut connections on demand), test
// users' messages go in through its admin endpoint, and what the client sent comes back
// decrypted from its event recorder.
//
// What crabline does not do, and how this glue copes:
// - It never links a device: right after the Noise handshake it answers any client,
//   registering or not, with <success>, and sends no pair-device, link-code notification or
//   pair-success. Its binary decoder also lacks the "stage" token of Baileys' pairing-code
//   request and closes the socket (1002) when it sees one. Tests therefore start from
//   what a finished pairing leaves behind (see linked-device.ts).
// - Its decoder lacks the "request" token of group-metadata queries (closes with 1002), and
//   group sends need sender keys it does not implement: only direct chats work end to end.
// - It has no call to close a client's connection. It closes one itself only on a protocol
//   error (1002), an overfull buffer (1009), a recorder slower than its 5 s message
//   acceptance timeout (1011, leaving that message unacknowledged) or on shutdown, which
//   forgets the Signal sessions it decrypts with. Drops and outages go through the relay.
// - It never sends a <stream:error> or <failure> node, so no 401/440/515 close over an open
//   connection; a wrong access token gets the WebSocket upgrade refused with HTTP 401.
import { startWhatsAppServer, type StartedWhatsAppServer } from "@openclaw/crabline";
import { TcpRelay } from "./tcp-relay.ts";

export interface DeliveredText {
  to: string;
  id: string;
  text: string;
}

/** A protocol node the client sent, as the recorder keeps it. */
export interface RecordedNode {
  tag: string;
  attrs: Record<string, string>;
  content?: unknown;
}

export interface InjectedMessage {
  chatJid: string;
  senderJid: string;
  text?: string;
  pushName?: string;
  audio?: { contentBase64: string; mimeType: string; ptt?: boolean };
}

interface RecorderEvent {
  type?: string;
  method?: string;
  accepted?: boolean;
  body?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function deliveredText(event: RecorderEvent): DeliveredText | undefined {
  if (event.method !== "WEBSOCKET" || event.accepted !== true || !isRecord(event.body)) return;
  const { key, message } = event.body;
  if (!isRecord(key) || !isRecord(message) || typeof message.conversation !== "string") return;
  return { to: String(key.remoteJid), id: String(key.id), text: message.conversation };
}

function recordedNode(event: RecorderEvent): RecordedNode | undefined {
  if (event.method !== "WEBSOCKET" || event.accepted === true || !isRecord(event.body)) return;
  const { tag, attrs, content } = event.body;
  if (typeof tag !== "string" || !isRecord(attrs)) return;
  return { tag, attrs: attrs as Record<string, string>, content };
}

export class CrablineWhatsApp {
  readonly delivered: DeliveredText[] = [];
  readonly nodes: RecordedNode[] = [];
  private readonly server: StartedWhatsAppServer;
  private readonly relay: TcpRelay;
  private readonly listeners = new Set<() => void>();

  private constructor(server: StartedWhatsAppServer, relay: TcpRelay) {
    this.server = server;
    this.relay = relay;
  }

  static async start(recorderPath: string): Promise<CrablineWhatsApp> {
    let instance: CrablineWhatsApp | null = null;
    const pending: RecorderEvent[] = [];
    const server = await startWhatsAppServer({
      recorderPath,
      onEvent: async (event: unknown) => {
        if (!isRecord(event)) return;
        if (instance) instance.record(event);
        else pending.push(event);
      },
    });
    const relay = await TcpRelay.start(Number(new URL(server.manifest.baseUrl).port));
    instance = new CrablineWhatsApp(server, relay);
    for (const event of pending) instance.record(event);
    return instance;
  }

  /** The server's idea of our own account, e.g. 15550000000@s.whatsapp.net. */
  get selfJid(): string {
    return this.server.manifest.selfJid;
  }

  get selfPhone(): string {
    return this.selfJid.split("@")[0] ?? "";
  }

  /** Baileys' waWebSocketUrl, through the relay. */
  get wsUrl(): string {
    const url = new URL(this.server.manifest.endpoints.baileysWebSocketUrl);
    url.port = String(this.relay.listenPort);
    return url.toString();
  }

  /**
   * The WebSocket URL with another access token: crabline refuses the upgrade with HTTP 401,
   * which Baileys reports as its loggedOut (401) disconnect, as for an unlinked device.
   */
  wsUrlWithAccessToken(token: string): string {
    const url = new URL(this.wsUrl);
    url.searchParams.set("access_token", token);
    return url.toString();
  }

  /** How many connections clients have opened so far. */
  get connections(): number {
    return this.relay.connections;
  }

  /** Posts a test user's message; resolves with its message id once the server took it. */
  async inject(message: InjectedMessage): Promise<string> {
    const response = await fetch(this.server.manifest.endpoints.adminInboundUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-crabline-admin-token": this.server.manifest.adminToken,
      },
      body: JSON.stringify(message),
    });
    const body = (await response.json()) as { message?: { key?: { id?: string } } };
    const id = body.message?.key?.id;
    if (!response.ok || !id) throw new Error(`inject failed: ${JSON.stringify(body)}`);
    return id;
  }

  dropConnections(): void {
    this.relay.dropAll();
  }

  /** Leaves new connections unanswered, as if the server were unreachable, until released. */
  holdConnections(): void {
    this.relay.hold();
  }

  releaseConnections(): void {
    this.relay.release();
  }

  waitForDelivered(predicate: (text: DeliveredText) => boolean): Promise<DeliveredText> {
    return this.waitFor("a delivered message", () => this.delivered.find(predicate));
  }

  waitForNode(predicate: (node: RecordedNode) => boolean): Promise<RecordedNode> {
    return this.waitFor("a recorded node", () => this.nodes.find(predicate));
  }

  async close(): Promise<void> {
    await this.relay.close();
    await this.server.close();
  }

  private waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const listener = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(
          new Error(`timed out waiting for ${what}; delivered: ${JSON.stringify(this.delivered)}`),
        );
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  private record(event: RecorderEvent): void {
    const text = deliveredText(event);
    if (text) this.delivered.push(text);
    const node = recordedNode(event);
    if (node) this.nodes.push(node);
    for (const listener of [...this.listeners]) listener();
  }
}
