// A stand-in for a Baileys socket, handed to the adapter through `socketFactory`. Tests
// drive it with Baileys' own event shapes (connection.update with Boom errors,
// messages.upsert, creds.update, frames on ws) and read what the adapter asked it to do.
import { EventEmitter } from "node:events";
import type {
  AnyMessageContent,
  AuthenticationCreds,
  BaileysEventMap,
  GroupMetadata,
  MiscMessageGenerationOptions,
  UserFacingSocketConfig,
  WAMessage,
  WAPresence,
} from "baileys";
import type {
  WhatsAppEvents,
  WhatsAppSocket,
  WhatsAppSocketFactory,
} from "../../../src/channels/whatsapp/socket.ts";

/** An error shaped like the @hapi/boom errors Baileys closes connections with. */
export function boom(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), {
    isBoom: true,
    isServer: statusCode >= 500,
    data: null,
    output: { statusCode, payload: { statusCode, error: message, message }, headers: {} },
  });
}

class StubEvents implements WhatsAppEvents {
  private readonly emitter = new EventEmitter();

  on<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void) {
    this.emitter.on(event, listener);
  }

  emit<T extends keyof BaileysEventMap>(event: T, arg: BaileysEventMap[T]): void {
    this.emitter.emit(event, arg);
  }
}

export interface SentMessage {
  jid: string;
  content: AnyMessageContent;
  options: MiscMessageGenerationOptions | undefined;
  id: string;
}

export class StubSocket implements WhatsAppSocket {
  readonly ev = new StubEvents();
  readonly config: UserFacingSocketConfig;
  readonly sent: SentMessage[] = [];
  readonly presence: { type: WAPresence; jid: string | undefined }[] = [];
  readonly pairingRequests: string[] = [];
  readonly groupQueries: string[] = [];
  readonly lidToPn = new Map<string, string>();
  readonly groups = new Map<string, GroupMetadata>();
  /** Thrown by the next sendMessage calls, one per call, while any are left. */
  readonly sendFailures: Error[] = [];
  pairingCode = "ABCD1234";
  ended = false;
  private readonly frames = new EventEmitter();
  private nextId = 1;

  readonly ws = {
    on: (event: "frame" | "unexpected-response", listener: (...args: never[]) => void) =>
      this.frames.on(event, listener as (...args: unknown[]) => void),
    close: async () => this.emitClose(boom(428, "Connection Terminated")),
  };

  readonly signalRepository = {
    lidMapping: {
      getPNForLID: async (lid: string) => this.lidToPn.get(lid) ?? null,
    },
  };

  constructor(config: UserFacingSocketConfig) {
    this.config = config;
  }

  get creds(): AuthenticationCreds {
    return this.config.auth.creds;
  }

  /** The Noise handshake finished: the server's first node arrives (after its raw hello). */
  handshake(firstNode: unknown = { tag: "success", attrs: {} }): void {
    this.frames.emit("frame", new Uint8Array([1, 2, 3]));
    this.frames.emit("frame", firstNode);
  }

  /** The server answers the WebSocket upgrade with plain HTTP, as ws reports it to Baileys. */
  refuseUpgrade(statusCode: number): void {
    this.frames.emit("unexpected-response", {}, { statusCode, resume: () => undefined });
  }

  open(): void {
    this.ev.emit("connection.update", { connection: "open" });
  }

  emitClose(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.ev.emit("connection.update", {
      connection: "close",
      lastDisconnect: { error, date: new Date() },
    });
  }

  /** Baileys applies a creds update to the creds object, then announces it. */
  updateCreds(update: Partial<AuthenticationCreds>): void {
    Object.assign(this.creds, update);
    this.ev.emit("creds.update", update);
  }

  /** What Baileys records once pairing succeeded on the phone. */
  pairSuccess(id: string, lid: string): void {
    this.updateCreds({
      me: { id, lid, name: "Assistant" },
      account: { details: new Uint8Array([1]) },
      platform: "android",
    });
  }

  upsert(messages: WAMessage[], type: "notify" | "append" = "notify"): void {
    this.ev.emit("messages.upsert", { messages, type });
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    // As Baileys does: the code is made locally and the provisional identity recorded.
    this.pairingRequests.push(phoneNumber);
    this.updateCreds({
      pairingCode: this.pairingCode,
      me: { id: `${phoneNumber}@s.whatsapp.net`, name: "~" },
    });
    return this.pairingCode;
  }

  async sendMessage(
    jid: string,
    content: AnyMessageContent,
    options?: MiscMessageGenerationOptions,
  ): Promise<WAMessage | undefined> {
    const failure = this.sendFailures.shift();
    if (failure) throw failure;
    const id = `SENT${this.nextId++}`;
    this.sent.push({ jid, content, options, id });
    const text = "text" in content ? content.text : undefined;
    return {
      key: { remoteJid: jid, fromMe: true, id },
      message: text === undefined ? {} : { conversation: text },
    };
  }

  async sendPresenceUpdate(type: WAPresence, toJid?: string): Promise<void> {
    this.presence.push({ type, jid: toJid });
  }

  async groupMetadata(jid: string): Promise<GroupMetadata> {
    this.groupQueries.push(jid);
    const group = this.groups.get(jid);
    if (!group) throw boom(404, "item-not-found");
    return group;
  }

  async updateMediaMessage(message: WAMessage): Promise<WAMessage> {
    return message;
  }

  async end(error: Error | undefined): Promise<void> {
    this.emitClose(error);
  }
}

/** Hands the adapter a new StubSocket per connection attempt and keeps them all. */
export class StubSocketFactory {
  readonly sockets: StubSocket[] = [];
  private readonly waiters = new Set<() => void>();

  readonly create: WhatsAppSocketFactory = (config) => {
    const socket = new StubSocket(config);
    this.sockets.push(socket);
    for (const waiter of [...this.waiters]) waiter();
    return socket;
  };

  get latest(): StubSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error("the adapter has not created a socket yet");
    return socket;
  }

  /** Resolves with the n-th (1-based) socket once the adapter created it. */
  socket(n: number): Promise<StubSocket> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const socket = this.sockets[n - 1];
        if (!socket) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(socket);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`socket ${n} was never created (have ${this.sockets.length})`));
      }, 10_000);
      this.waiters.add(check);
      check();
    });
  }
}
