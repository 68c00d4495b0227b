// The part of a Baileys socket the adapter uses, so tests can hand in a stub that emits
// Baileys' own event shapes while production uses makeWASocket unchanged.
import {
  makeWASocket,
  type AnyMessageContent,
  type BaileysEventMap,
  type GroupMetadata,
  type MiscMessageGenerationOptions,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAPresence,
} from "baileys";

export interface WhatsAppEvents {
  on<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void;
}

/** The part of an http.IncomingMessage the adapter reads. */
export interface HttpResponse {
  statusCode?: number | undefined;
  resume(): unknown;
}

export interface WhatsAppSocket {
  readonly ev: WhatsAppEvents;
  /** Emits "frame" for every frame; the first decoded node means the encrypted session is up. */
  readonly ws: {
    on(event: "frame", listener: (frame: unknown) => void): unknown;
    /**
     * The server (or a proxy) answered the WebSocket upgrade with plain HTTP. Baileys
     * forwards this event, and a listener on it keeps `ws` from failing the handshake, so
     * nothing else reports it: the connection would hang in "connecting".
     */
    on(
      event: "unexpected-response",
      listener: (request: unknown, response: HttpResponse) => void,
    ): unknown;
    /** Resolves once the WebSocket has closed. */
    close(): Promise<void>;
  };
  readonly signalRepository: {
    lidMapping: { getPNForLID(lid: string): Promise<string | null> };
  };
  requestPairingCode(phoneNumber: string): Promise<string>;
  sendMessage(
    jid: string,
    content: AnyMessageContent,
    options?: MiscMessageGenerationOptions,
  ): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: WAPresence, toJid?: string): Promise<void>;
  groupMetadata(jid: string): Promise<GroupMetadata>;
  /** Asks the sender's phone to upload expired media again. */
  updateMediaMessage(message: WAMessage): Promise<WAMessage>;
  end(error: Error | undefined): unknown;
}

export type WhatsAppSocketFactory = (config: UserFacingSocketConfig) => WhatsAppSocket;

export const baileysSocketFactory: WhatsAppSocketFactory = (config) => makeWASocket(config);
