// The contract between the core and a chat platform. An adapter translates its
// platform's events into InboundEvents and the core's sends into platform calls;
// everything else (persistence, routing, retries) lives in the core.
import type { PlatformName } from "./registry.ts";

/** The built-in web chat, and the platforms of the channel table (registry.ts). */
export type ChannelName = "web" | PlatformName;

export interface Attachment {
  kind: "image" | "audio" | "video" | "file";
  fileName: string;
  mimeType?: string;
  /** Size in bytes when the platform says it up front, so oversized files are refused unread. */
  size?: number;
  /** A voice note recorded to be listened to (not a music file or an audio upload). */
  voice?: boolean;
  /** Length of audio or video in seconds, when the platform says it. */
  durationSeconds?: number;
  /** Downloads the content; only called when the message will be kept. */
  download(): Promise<Uint8Array>;
}

export interface InboundMessage {
  /** The platform's chat id as a string (Telegram chat id, Discord channel id, Slack conversation, WhatsApp jid). */
  chatId: string;
  /** Unique within the chat; with channel + chatId it is the idempotency key. */
  messageId: string;
  /** Slack thread_ts / Discord thread: replies go back into it. */
  threadId?: string;
  senderId: string;
  senderName: string;
  text: string;
  /** Milliseconds since the epoch, as the platform stamped it. */
  timestamp: number;
  isGroup: boolean;
  chatName?: string;
  /** A real platform mention of the bot (not a typed "@Andy"); counts as a trigger. */
  mentionsBot: boolean;
  replyTo?: { messageId: string; senderName: string; text: string };
  attachments?: Attachment[];
}

export type InboundEvent =
  | { type: "message"; message: InboundMessage }
  | { type: "edit"; chatId: string; messageId: string; text: string; timestamp: number }
  | { type: "delete"; chatId: string; messageId: string }
  /** A tap on a choice button that sendChoices made (ask_user). */
  | {
      type: "choice";
      chatId: string;
      /** The platform id of the message that carries the buttons. */
      messageId: string;
      senderId: string;
      senderName: string;
      /** The button's id as sendChoices set it. */
      choiceId: string;
    };

export type ChannelStatus =
  | "not_configured"
  | "connecting"
  | "pairing"
  | "connected"
  | "reconnecting"
  | "auth_failed"
  | "logged_out"
  | "stopped";

/** How to link the account while a channel is "pairing" (WhatsApp). */
export type PairingPrompt =
  /**
   * The payload of the QR code to scan. Whoever scans it first owns the link: it is shown
   * only as an image behind the admin token, never as text, never logged.
   */
  | { method: "qr"; payload: string }
  /** The code to enter on the phone with that number. */
  | { method: "code"; code: string; phone: string };

export interface ChannelState {
  status: ChannelStatus;
  /** Human-readable detail: the last error, which variable to set, how to pair. */
  detail?: string;
  pairing?: PairingPrompt;
  since: number;
}

export interface DiscoveredChat {
  chatId: string;
  name: string;
  isGroup: boolean;
}

/** What the core offers an adapter. */
export interface ChannelHost {
  /** Resolves once the event is committed to the store; adapters acknowledge the platform after it. */
  receive(event: InboundEvent): Promise<void>;
  discovered(chat: DiscoveredChat): void;
  setState(state: Omit<ChannelState, "since">): void;
}

export interface SendOptions {
  threadId?: string;
}

/** A failed send that is worth retrying later, optionally not before `retryAfterMs`. */
export class TransientSendError extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = "TransientSendError";
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A file an agent sent (its `send_file` tool), as the host copied it at that moment: `path`
 * is that host-only copy, outside every agent's reach, so the agent cannot change or swap
 * what goes out. Read it; never write, move or delete it (the outbox does that).
 */
export interface OutboundFile {
  /** The file's own name (no folders), as the recipient sees it. */
  name: string;
  /** From the name's extension; application/octet-stream when unknown. */
  mimeType: string;
  size: number;
  path: string;
}

export interface SendFileOptions extends SendOptions {
  /** Markdown shown with the file (as the platform's caption, or a message right after). */
  caption?: string;
}

export interface Channel {
  readonly name: ChannelName;
  start(host: ChannelHost): Promise<void>;
  stop(): Promise<void>;
  /**
   * Sends Markdown text, rendered and split for the platform. Returns the platform ids of
   * the messages it created. Throws TransientSendError when a retry may succeed; any other
   * error marks the outbound message failed.
   */
  send(chatId: string, markdown: string, options: SendOptions): Promise<string[]>;
  /**
   * Sends one file, as the platform's image form when it is an image the platform shows
   * inline (within its media limit), else as a document or attachment. The caller has
   * checked the size against the platform's limit (file-limits.ts). Returns the ids of the
   * messages it created; errors as for `send`. A channel without it cannot send files: the
   * agent is told so when it tries.
   */
  sendFile?(chatId: string, file: OutboundFile, options: SendFileOptions): Promise<string[]>;
  /**
   * The largest file the platform's server says it takes, once the channel has asked (a
   * Matrix homeserver's m.upload.size); without it, file-limits.ts's figure applies.
   */
  readonly maxFileBytes?: number | undefined;
  /**
   * The channel serves sent files from the host's copy itself (the web chat links to it), so
   * the copy is kept; for every other channel it is removed once the send is settled.
   */
  readonly servesFiles?: boolean;
  /**
   * Replaces the text of a message the bot sent (`platformId`, as send returned it) with
   * Markdown. Text longer than one platform message goes on in new messages after it (in
   * `options.threadId`); returns the ids of all. A platform that says the text is unchanged
   * counts as done. Errors as send.
   */
  edit?(
    chatId: string,
    platformId: string,
    markdown: string,
    options: SendOptions,
  ): Promise<string[]>;
  /** Removes a message the bot sent. One that is already gone counts as done. */
  deleteMessage?(chatId: string, platformId: string): Promise<void>;
  setTyping?(chatId: string, typing: boolean): Promise<void>;
  /**
   * Sends a question with one button per choice (`id` is what a tap reports back as an
   * InboundEvent of type "choice"). Returns the platform ids of the messages it created.
   * Without it the core sends the question as numbered text and reads typed answers.
   */
  sendChoices?(
    chatId: string,
    question: string,
    choices: { id: string; label: string }[],
    options: SendOptions,
  ): Promise<string[]>;
  /**
   * Takes the buttons off a question sendChoices made: with `text` (Markdown, rendered as
   * a reply is), the message now reads that (the question and what was chosen); with null,
   * only the buttons go.
   */
  closeChoices?(chatId: string, messageIds: string[], text: string | null): Promise<void>;
  /** Sets (or with null clears) the bot's acknowledgement reaction on an inbound message. */
  react?(chatId: string, messageId: string, emoji: string | null): Promise<void>;
}
