// The fake's gateway: Discord's v10 WebSocket protocol, JSON encoding, no transport
// compression. Each IDENTIFY opens a session that outlives its socket: dispatches made
// while the client is away are logged with their sequence numbers and replayed on RESUME,
// which is what lets a test prove that a dropped connection loses and duplicates nothing.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import type { DiscordState, FakeMessage } from "./state.ts";

export const Intents = {
  Guilds: 1 << 0,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  MessageContent: 1 << 15,
} as const;

const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | Intents.MessageContent;
const ALL_INTENTS = (1 << 26) - 1;

const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

const Close = {
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidApiVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
} as const;

interface Dispatch {
  s: number;
  t: string;
  d: unknown;
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  log: Dispatch[];
  socket: WebSocket | null;
  alive: boolean;
}

interface Connection {
  socket: WebSocket;
  session: Session | null;
}

export interface GatewayOptions {
  state: DiscordState;
  isValidToken: (token: string) => boolean;
  heartbeatIntervalMs: number;
  /** Whether the bot may ask for the privileged intents (the developer-portal toggles). */
  privilegedIntentsEnabled: boolean;
}

export interface GatewayConnectionRecord {
  url: string;
  at: number;
}

export class FakeGateway {
  readonly connections: GatewayConnectionRecord[] = [];
  identifyCount = 0;
  resumeCount = 0;
  heartbeatCount = 0;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sessions = new Map<string, Session>();
  readonly #open = new Set<Connection>();
  readonly #options: GatewayOptions;
  readonly #listeners = new Set<() => void>();

  constructor(server: Server, options: GatewayOptions) {
    this.#options = options;
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request));
    });
  }

  /** The base URL of GET /gateway/bot and the resume URL handed out in READY. */
  url(): string {
    return `ws://127.0.0.1:${this.#port()}`;
  }

  resumeUrl(): string {
    return `${this.url()}/resume`;
  }

  #port(): number {
    return Number(new URL(this.#options.state.baseUrl).port);
  }

  /** Sends a dispatch to every live session whose intents cover it. */
  dispatch(t: string, d: unknown, requiredIntent: number): void {
    for (const session of this.#sessions.values()) {
      if (!session.alive || (session.intents & requiredIntent) === 0) continue;
      this.#send(session, t, d);
    }
  }

  /** MESSAGE_CREATE / MESSAGE_UPDATE; content is withheld from sessions without MESSAGE_CONTENT. */
  dispatchMessage(t: "MESSAGE_CREATE" | "MESSAGE_UPDATE", message: FakeMessage): void {
    const required = message.guild_id ? Intents.GuildMessages : Intents.DirectMessages;
    for (const session of this.#sessions.values()) {
      if (!session.alive || (session.intents & required) === 0) continue;
      this.#send(session, t, this.#visibleTo(session, message));
    }
  }

  #visibleTo(session: Session, message: FakeMessage): FakeMessage {
    const botId = this.#options.state.botUser.id;
    const exempt =
      (session.intents & Intents.MessageContent) !== 0 ||
      !message.guild_id ||
      message.author.id === botId ||
      message.mentions.some((user) => user.id === botId);
    return exempt ? message : { ...message, content: "", attachments: [], embeds: [] };
  }

  /** Kills every gateway socket without a close frame, as a network failure would. */
  dropConnections(): number {
    let dropped = 0;
    for (const connection of this.#open) {
      if (connection.session?.socket === connection.socket) connection.session.socket = null;
      connection.socket.terminate();
      dropped += 1;
    }
    this.#open.clear();
    return dropped;
  }

  /** Ends every session with the given close code (e.g. 4004 when the token is reset). */
  closeAll(code: number, reason: string): void {
    for (const session of this.#sessions.values()) session.alive = false;
    for (const connection of this.#open) connection.socket.close(code, reason);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  async close(): Promise<void> {
    for (const connection of this.#open) connection.socket.terminate();
    this.#open.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? "/", this.url());
    this.connections.push({ url: url.pathname + url.search, at: Date.now() });
    const connection: Connection = { socket, session: null };
    this.#open.add(connection);
    socket.on("close", (code) => {
      this.#open.delete(connection);
      const session = connection.session;
      if (!session) return;
      if (session.socket === socket) session.socket = null;
      // A clean close from the client ends the session; anything else leaves it resumable.
      if (code === 1000 || code === 1001) session.alive = false;
      this.#changed();
    });
    socket.on("error", () => socket.terminate());
    if (url.searchParams.get("v") !== "10") {
      socket.close(Close.InvalidApiVersion, "Invalid API version.");
      return;
    }
    if (url.searchParams.get("encoding") !== "json") {
      socket.close(Close.DecodeError, "Error while decoding payload.");
      return;
    }
    socket.send(
      JSON.stringify({
        op: Op.Hello,
        d: { heartbeat_interval: this.#options.heartbeatIntervalMs },
        s: null,
        t: null,
      }),
    );
    socket.on("message", (data, isBinary) => {
      this.#onMessage(connection, data.toString(), isBinary);
      this.#changed();
    });
  }

  #onMessage(connection: Connection, text: string, isBinary: boolean): void {
    let payload: { op?: unknown; d?: unknown };
    try {
      if (isBinary) throw new Error("binary frames need etf encoding");
      payload = JSON.parse(text) as { op?: unknown; d?: unknown };
    } catch {
      connection.socket.close(Close.DecodeError, "Error while decoding payload.");
      return;
    }
    const { socket } = connection;
    switch (payload.op) {
      case Op.Heartbeat:
        this.heartbeatCount += 1;
        socket.send(JSON.stringify({ op: Op.HeartbeatAck }));
        return;
      case Op.Identify:
        this.#identify(connection, (payload.d ?? {}) as IdentifyData);
        return;
      case Op.Resume:
        this.#resume(connection, (payload.d ?? {}) as ResumeData);
        return;
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
      case Op.RequestGuildMembers:
        if (!connection.session) socket.close(Close.NotAuthenticated, "Not authenticated.");
        return;
      default:
        socket.close(Close.UnknownOpcode, "Unknown opcode.");
    }
  }

  #identify(connection: Connection, data: IdentifyData): void {
    const { socket } = connection;
    if (connection.session) {
      socket.close(Close.AlreadyAuthenticated, "Already authenticated.");
      return;
    }
    if (typeof data.token !== "string" || !this.#options.isValidToken(data.token)) {
      socket.close(Close.AuthenticationFailed, "Authentication failed.");
      return;
    }
    if (typeof data.intents !== "number" || (data.intents & ~ALL_INTENTS) !== 0) {
      socket.close(Close.InvalidIntents, "Invalid intent(s).");
      return;
    }
    if (!this.#options.privilegedIntentsEnabled && (data.intents & PRIVILEGED_INTENTS) !== 0) {
      socket.close(Close.DisallowedIntents, "Disallowed intent(s).");
      return;
    }
    this.identifyCount += 1;
    const session: Session = {
      id: randomBytes(16).toString("hex"),
      intents: data.intents,
      seq: 0,
      log: [],
      socket,
      alive: true,
    };
    this.#sessions.set(session.id, session);
    connection.session = session;
    const { state } = this.#options;
    this.#send(session, "READY", {
      v: 10,
      user: state.botUser,
      guilds: [...state.guilds.values()].map((guild) => ({ id: guild.id, unavailable: true })),
      session_id: session.id,
      session_type: "normal",
      resume_gateway_url: this.resumeUrl(),
      shard: data.shard ?? [0, 1],
      application: { id: state.botUser.id, flags: 0 },
      private_channels: [],
      presences: [],
      relationships: [],
      user_settings: {},
      auth: {},
    });
    if ((session.intents & Intents.Guilds) !== 0) {
      for (const guild of state.guilds.values())
        this.#send(session, "GUILD_CREATE", state.guildCreatePayload(guild));
    }
  }

  #resume(connection: Connection, data: ResumeData): void {
    const { socket } = connection;
    this.resumeCount += 1;
    if (typeof data.token !== "string" || !this.#options.isValidToken(data.token)) {
      socket.close(Close.AuthenticationFailed, "Authentication failed.");
      return;
    }
    const session = this.#sessions.get(String(data.session_id));
    if (!session || !session.alive || typeof data.seq !== "number" || data.seq > session.seq) {
      socket.send(JSON.stringify({ op: Op.InvalidSession, d: false, s: null, t: null }));
      return;
    }
    if (session.socket && session.socket !== socket) session.socket.terminate();
    session.socket = socket;
    connection.session = session;
    for (const missed of session.log) {
      if (missed.s > data.seq) socket.send(JSON.stringify({ op: Op.Dispatch, ...missed }));
    }
    this.#send(session, "RESUMED", {});
  }

  #send(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const dispatch: Dispatch = { s: session.seq, t, d };
    session.log.push(dispatch);
    if (session.socket?.readyState === WebSocket.OPEN) {
      session.socket.send(JSON.stringify({ op: Op.Dispatch, ...dispatch }));
    }
  }
}

interface IdentifyData {
  token?: unknown;
  intents?: unknown;
  shard?: [number, number];
}

interface ResumeData {
  token?: unknown;
  session_id?: unknown;
  seq?: unknown;
}
