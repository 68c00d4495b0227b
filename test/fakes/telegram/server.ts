// A loopback fake of the Telegram Bot API for tests: real HTTP on 127.0.0.1, the same
// URLs, bodies, envelopes and error codes as api.telegram.org, so grammY can be pointed at
// it with `client.apiRoot`. Updates are queued with increasing update_ids and stay queued
// until a later getUpdates confirms them with `offset`, exactly like the real server.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type {
  Chat,
  File,
  Message,
  MessageEntity,
  ReactionType,
  Update,
  UserFromGetMe,
} from "grammy/types";
import { HtmlParseError, parseTelegramHtml } from "./html.ts";
import { parseMultipart, type UploadedFile } from "./multipart.ts";

export interface TelegramFakeOptions {
  token?: string;
  botUsername?: string;
  botId?: number;
  botName?: string;
}

export interface RecordedCall {
  seq: number;
  method: string;
  /** Parameters as sent; JSON-encoded multipart fields decoded, uploads as UploadedFile. */
  params: Record<string, unknown>;
  /** HTTP status of the answer, set once answered. */
  status?: number;
}

export type FailureSpec =
  | {
      status: number;
      error_code?: number;
      description: string;
      retry_after?: number;
      skip?: number;
    }
  | { dropConnection: true; skip?: number };

export interface InjectedUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  is_bot?: boolean;
}

export interface InjectMessageInput {
  chatId: number;
  chatType?: "private" | "group" | "supergroup";
  chatTitle?: string;
  /** Makes the chat a forum supergroup message inside this topic. */
  messageThreadId?: number;
  from: InjectedUser;
  text?: string;
  caption?: string;
  /** Defaults to the mention / bot_command entities the server itself would detect. */
  entities?: MessageEntity[];
  reply_to_message?: Message;
  photo?: Uint8Array;
  document?: { bytes: Uint8Array; fileName: string; mimeType?: string };
  voice?: { bytes: Uint8Array; mimeType?: string; duration?: number };
}

export interface InjectEditInput {
  chatId: number;
  messageId: number;
  text: string;
  entities?: MessageEntity[];
}

export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  bytes: Uint8Array;
}

export interface TelegramFake {
  readonly apiRoot: string;
  readonly token: string;
  readonly bot: UserFromGetMe;
  /** Every API call in arrival order, including failed and unauthorized ones. */
  readonly calls: RecordedCall[];
  /** Messages the bot sent (sendMessage, sendDocument, sendPhoto), in order, as stored now. */
  readonly sent: Message[];
  injectMessage(input: InjectMessageInput): Message;
  injectEdit(input: InjectEditInput): Message;
  /** A user taps an inline keyboard button of a bot message: a callback_query update. */
  injectCallbackQuery(input: {
    chatId: number;
    messageId: number;
    from: InjectedUser;
    data: string;
  }): string;
  /** The ids of the callback queries the bot answered (answerCallbackQuery). */
  readonly answeredCallbacks: string[];
  /** A bot message as it is now (edits applied), with its reply_markup. */
  messageNow(chatId: number, messageId: number): Message | undefined;
  /** Queues any raw update; update_id is assigned. */
  injectUpdate(update: Omit<Update, "update_id">): Update;
  /** Resolves with the first call (already made or future) of `method` matching `predicate`. */
  waitForCall(
    method: string,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedCall>;
  /** The next call(s) of `method`, after `skip` successful ones, fail as described. */
  failNext(method: string, failure: FailureSpec): void;
  /** Destroys every open connection, including long polls in the middle of a request. */
  dropConnections(): void;
  addFile(bytes: Uint8Array, fileName?: string): StoredFile;
  /** The bytes stored under a file id (what the bot uploaded with sendDocument/sendPhoto). */
  fileBytes(fileId: string): Uint8Array | undefined;
  /** The bot's current reaction on a message, as setMessageReaction left it. */
  reactionsOn(chatId: number, messageId: number): ReactionType[];
  /** Updates queued and not yet confirmed by an offset. */
  pendingUpdateIds(): number[];
  close(): Promise<void>;
}

class ApiError extends Error {
  readonly code: number;
  readonly retryAfter: number | undefined;
  constructor(code: number, description: string, retryAfter?: number) {
    super(description);
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const badRequest = (description: string) => new ApiError(400, `Bad Request: ${description}`);

const REACTION_EMOJI = new Set(
  "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡".split(
    " ",
  ),
);

const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

const DEFAULT_ALLOWED = [
  "message",
  "edited_message",
  "channel_post",
  "edited_channel_post",
  "callback_query",
];
const MESSAGE_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const DOWNLOAD_LIMIT = 20 * 1024 * 1024;

interface ChatRecord {
  chat: Chat;
  nextMessageId: number;
  messages: Map<number, Message>;
}

interface Poll {
  response: ServerResponse;
  call: RecordedCall;
  limit: number;
  timer: NodeJS.Timeout;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** Multipart fields are strings; objects arrive JSON-encoded. */
function decodeField(value: string): unknown {
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

function integer(
  params: Record<string, unknown>,
  name: string,
  required = true,
): number | undefined {
  const value = params[name];
  if (value === undefined || value === "") {
    if (required) throw badRequest(`${name} is empty`);
    return undefined;
  }
  const number = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(number)) throw badRequest(`invalid ${name} specified`);
  return number;
}

function json<T>(value: unknown): T | undefined {
  if (typeof value === "string") return decodeField(value) as T;
  return value as T | undefined;
}

function detectEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (const match of text.matchAll(/(^|[^\w/])(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?)/g)) {
    const offset = (match.index ?? 0) + (match[1] ?? "").length;
    entities.push({ type: "bot_command", offset, length: (match[2] ?? "").length });
  }
  for (const match of text.matchAll(/(^|[^\w/])(@[A-Za-z][A-Za-z0-9_]{4,31})\b/g)) {
    const offset = (match.index ?? 0) + (match[1] ?? "").length;
    entities.push({ type: "mention", offset, length: (match[2] ?? "").length });
  }
  return entities.sort((a, b) => a.offset - b.offset);
}

function sameContent(message: Message, text: string, entities: MessageEntity[]): boolean {
  return (
    message.text === text && JSON.stringify(message.entities ?? []) === JSON.stringify(entities)
  );
}

export async function startTelegramFake(options: TelegramFakeOptions = {}): Promise<TelegramFake> {
  const token = options.token ?? "123456789:AAFakeTokenForTestsOnly_abcdefghijkl";
  const idFromToken = Number(token.split(":")[0]);
  const botId = options.botId ?? (Number.isSafeInteger(idFromToken) ? idFromToken : 123456789);
  const bot: UserFromGetMe = {
    id: botId,
    is_bot: true,
    first_name: options.botName ?? "Pincer",
    username: options.botUsername ?? "pincer_test_bot",
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };

  const calls: RecordedCall[] = [];
  const sent: Message[] = [];
  const answeredCallbacks: string[] = [];
  const openCallbacks = new Set<string>();
  let callbackCounter = 0;
  const chats = new Map<number, ChatRecord>();
  const files = new Map<string, StoredFile>();
  const filesByPath = new Map<string, StoredFile>();
  const reactions = new Map<string, ReactionType[]>();
  const failures = new Map<string, FailureSpec[]>();
  const callWaiters = new Set<(call: RecordedCall) => void>();
  const sockets = new Set<Socket>();
  let pending: Update[] = [];
  let nextUpdateId = 500_000_001;
  let allowedUpdates = DEFAULT_ALLOWED;
  let poll: Poll | null = null;
  let fileCounter = 0;

  function reply(response: ServerResponse, status: number, body: unknown): void {
    if (response.writableEnded || response.destroyed) return;
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  }

  function answer(call: RecordedCall, response: ServerResponse, result: unknown): void {
    call.status = 200;
    reply(response, 200, { ok: true, result });
  }

  function answerError(call: RecordedCall | null, response: ServerResponse, error: ApiError): void {
    if (call) call.status = error.code;
    const body: Record<string, unknown> = {
      ok: false,
      error_code: error.code,
      description: error.message,
    };
    if (error.retryAfter !== undefined) body.parameters = { retry_after: error.retryAfter };
    reply(response, error.code, body);
  }

  function record(method: string, params: Record<string, unknown>): RecordedCall {
    const call: RecordedCall = { seq: calls.length, method, params };
    calls.push(call);
    for (const waiter of callWaiters) waiter(call);
    return call;
  }

  function chatRecord(chatId: number): ChatRecord {
    const record = chats.get(chatId);
    if (!record) throw badRequest("chat not found");
    return record;
  }

  function ensureChat(input: InjectMessageInput): ChatRecord {
    const type = input.chatType ?? "private";
    let record = chats.get(input.chatId);
    if (!record) {
      const chat: Chat =
        type === "private"
          ? {
              id: input.chatId,
              type: "private",
              first_name: input.from.first_name,
              ...(input.from.last_name ? { last_name: input.from.last_name } : {}),
              ...(input.from.username ? { username: input.from.username } : {}),
            }
          : type === "supergroup"
            ? {
                id: input.chatId,
                type: "supergroup",
                title: input.chatTitle ?? `Group ${input.chatId}`,
                ...(input.messageThreadId !== undefined ? { is_forum: true } : {}),
              }
            : {
                id: input.chatId,
                type: "group",
                title: input.chatTitle ?? `Group ${input.chatId}`,
              };
      record = { chat, nextMessageId: 1, messages: new Map() };
      chats.set(input.chatId, record);
    }
    return record;
  }

  function storeMessage(
    record: ChatRecord,
    fields: Omit<Message, "message_id" | "date" | "chat">,
  ): Message {
    const message = {
      message_id: record.nextMessageId++,
      date: now(),
      chat: record.chat,
      ...fields,
    } as Message;
    record.messages.set(message.message_id, message);
    return message;
  }

  function addFile(bytes: Uint8Array, fileName = "file.dat"): StoredFile {
    fileCounter += 1;
    const extension = /\.[A-Za-z0-9]+$/.exec(fileName)?.[0] ?? "";
    const stored: StoredFile = {
      file_id: `FAKEFILE${fileCounter.toString().padStart(6, "0")}${Buffer.from(fileName).toString("base64url")}`,
      file_unique_id: `UNIQ${fileCounter}`,
      file_path: `documents/file_${fileCounter}${extension}`,
      bytes: new Uint8Array(bytes),
    };
    files.set(stored.file_id, stored);
    filesByPath.set(stored.file_path, stored);
    return stored;
  }

  function deliverable(): Update[] {
    // Updates of types the bot did not ask for are dropped, as on the real server.
    pending = pending.filter((update) =>
      Object.keys(update).some((key) => allowedUpdates.includes(key)),
    );
    return pending;
  }

  function releasePoll(): void {
    if (!poll) return;
    const updates = deliverable().slice(0, poll.limit);
    if (updates.length === 0) return;
    const current = poll;
    poll = null;
    clearTimeout(current.timer);
    answer(current.call, current.response, updates);
  }

  function injectUpdate(update: Omit<Update, "update_id">): Update {
    const full = { update_id: nextUpdateId++, ...update } as Update;
    pending.push(full);
    releasePoll();
    return full;
  }

  function injectMessage(input: InjectMessageInput): Message {
    const record = ensureChat(input);
    const from = { is_bot: false, ...input.from };
    const fields: Record<string, unknown> = { from };
    if (input.messageThreadId !== undefined) {
      fields.message_thread_id = input.messageThreadId;
      fields.is_topic_message = true;
    }
    if (input.text !== undefined) {
      fields.text = input.text;
      const entities = input.entities ?? detectEntities(input.text);
      if (entities.length > 0) fields.entities = entities;
    }
    if (input.caption !== undefined) {
      fields.caption = input.caption;
      const entities = input.entities ?? detectEntities(input.caption);
      if (entities.length > 0) fields.caption_entities = entities;
    }
    if (input.reply_to_message)
      fields.reply_to_message = { ...input.reply_to_message, reply_to_message: undefined };
    if (input.photo) {
      const full = addFile(input.photo, "photo.jpg");
      const thumb = addFile(input.photo.subarray(0, Math.min(16, input.photo.length)), "thumb.jpg");
      fields.photo = [
        {
          file_id: thumb.file_id,
          file_unique_id: thumb.file_unique_id,
          width: 90,
          height: 90,
          file_size: thumb.bytes.length,
        },
        {
          file_id: full.file_id,
          file_unique_id: full.file_unique_id,
          width: 800,
          height: 800,
          file_size: full.bytes.length,
        },
      ];
    }
    if (input.document) {
      const stored = addFile(input.document.bytes, input.document.fileName);
      fields.document = {
        file_id: stored.file_id,
        file_unique_id: stored.file_unique_id,
        file_name: input.document.fileName,
        mime_type: input.document.mimeType ?? "application/octet-stream",
        file_size: stored.bytes.length,
      };
    }
    if (input.voice) {
      const stored = addFile(input.voice.bytes, "voice.ogg");
      fields.voice = {
        file_id: stored.file_id,
        file_unique_id: stored.file_unique_id,
        duration: input.voice.duration ?? 1,
        mime_type: input.voice.mimeType ?? "audio/ogg",
        file_size: stored.bytes.length,
      };
    }
    const message = storeMessage(record, fields);
    injectUpdate({ message } as Omit<Update, "update_id">);
    return message;
  }

  function injectCallbackQuery(input: {
    chatId: number;
    messageId: number;
    from: InjectedUser;
    data: string;
  }): string {
    const message = chatRecord(input.chatId).messages.get(input.messageId);
    if (!message) throw new Error(`fake has no message ${input.messageId} in chat ${input.chatId}`);
    const id = `${Date.now()}${++callbackCounter}`;
    openCallbacks.add(id);
    injectUpdate({
      callback_query: {
        id,
        from: { is_bot: false, ...input.from },
        message: { ...message },
        chat_instance: `instance-${input.chatId}`,
        data: input.data,
      },
    } as Omit<Update, "update_id">);
    return id;
  }

  /** Inline keyboards as the Bot API checks them: rows of buttons with 1-64 bytes of data. */
  function inlineKeyboard(params: Record<string, unknown>): Message["reply_markup"] {
    const markup = json<{ inline_keyboard?: unknown }>(params.reply_markup);
    if (markup === undefined) return undefined;
    const rows = markup.inline_keyboard;
    if (!Array.isArray(rows)) throw badRequest("can't parse reply keyboard markup JSON object");
    for (const row of rows as unknown[]) {
      if (!Array.isArray(row)) throw badRequest("can't parse inline keyboard button");
      for (const button of row as { text?: unknown; callback_data?: unknown }[]) {
        if (typeof button.text !== "string" || button.text === "")
          throw badRequest("can't parse inline keyboard button: Text is empty");
        const data = button.callback_data;
        if (typeof data !== "string" || Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > 64)
          throw badRequest("BUTTON_DATA_INVALID");
      }
    }
    return rows.length > 0 ? (markup as Message["reply_markup"]) : undefined;
  }

  function injectEdit(input: InjectEditInput): Message {
    const record = chatRecord(input.chatId);
    const message = record.messages.get(input.messageId);
    if (!message) throw new Error(`fake has no message ${input.messageId} in chat ${input.chatId}`);
    message.text = input.text;
    const entities = input.entities ?? detectEntities(input.text);
    if (entities.length > 0) message.entities = entities;
    else delete message.entities;
    message.edit_date = now();
    injectUpdate({ edited_message: { ...message } } as Omit<Update, "update_id">);
    return message;
  }

  function formatted(text: string, parseMode: unknown, limit: number, kind: "message" | "caption") {
    if (parseMode === undefined || parseMode === "")
      return { text, entities: [] as MessageEntity[] };
    if (parseMode !== "HTML")
      throw badRequest(`unsupported parse_mode (the fake only speaks HTML): ${String(parseMode)}`);
    const parsed = parseTelegramHtml(text);
    if (parsed.text.length > limit)
      throw badRequest(kind === "message" ? "message is too long" : "message caption is too long");
    return parsed;
  }

  function replyTarget(record: ChatRecord, params: Record<string, unknown>): Message | undefined {
    const parameters = json<{ message_id?: number; allow_sending_without_reply?: boolean }>(
      params.reply_parameters,
    );
    const id = parameters?.message_id ?? integer(params, "reply_to_message_id", false);
    if (id === undefined) return undefined;
    const target = record.messages.get(Number(id));
    const allowMissing =
      parameters?.allow_sending_without_reply === true ||
      params.allow_sending_without_reply === "true";
    if (!target && !allowMissing) throw badRequest("message to be replied not found");
    return target ? { ...target, reply_to_message: undefined } : undefined;
  }

  function outgoing(record: ChatRecord, params: Record<string, unknown>): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      from: { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username },
    };
    const target = replyTarget(record, params);
    if (target) fields.reply_to_message = target;
    const thread = integer(params, "message_thread_id", false);
    if (thread !== undefined) {
      fields.message_thread_id = thread;
      if (record.chat.type === "supergroup" && record.chat.is_forum) fields.is_topic_message = true;
    }
    return fields;
  }

  function upload(params: Record<string, unknown>, field: string): StoredFile {
    const value = params[field];
    if (value && typeof value === "object" && "bytes" in value) {
      const file = value as UploadedFile;
      if (file.bytes.length === 0) throw badRequest("file must be non-empty");
      return addFile(file.bytes, file.fileName);
    }
    if (typeof value === "string" && files.has(value)) return files.get(value) as StoredFile;
    if (typeof value === "string" && /^https?:\/\//.test(value))
      throw badRequest("failed to get HTTP URL content");
    throw badRequest(`invalid file HTTP URL specified: there is no ${field} in the request`);
  }

  const methods: Record<
    string,
    (params: Record<string, unknown>, call: RecordedCall, response: ServerResponse) => unknown
  > = {
    getme: () => bot,
    deletewebhook: (params) => {
      if (params.drop_pending_updates === true || params.drop_pending_updates === "true")
        pending = [];
      return true;
    },
    getwebhookinfo: () => ({
      url: "",
      has_custom_certificate: false,
      pending_update_count: pending.length,
    }),
    getupdates: (params, call, response) => {
      if (poll) {
        const previous = poll;
        poll = null;
        clearTimeout(previous.timer);
        answerError(
          previous.call,
          previous.response,
          new ApiError(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
          ),
        );
      }
      const offset = integer(params, "offset", false) ?? 0;
      if (offset > 0) pending = pending.filter((update) => update.update_id >= offset);
      if (offset < 0) pending = pending.slice(offset);
      const allowed = json<string[]>(params.allowed_updates);
      if (Array.isArray(allowed)) allowedUpdates = allowed.length > 0 ? allowed : DEFAULT_ALLOWED;
      const limit = Math.min(Math.max(integer(params, "limit", false) ?? 100, 1), 100);
      const timeout = integer(params, "timeout", false) ?? 0;
      const ready = deliverable().slice(0, limit);
      if (ready.length > 0 || timeout <= 0) return ready;
      const timer = setTimeout(() => {
        if (poll?.response !== response) return;
        poll = null;
        answer(call, response, []);
      }, timeout * 1000);
      poll = { response, call, limit, timer };
      response.on("close", () => {
        if (poll?.response !== response) return;
        clearTimeout(timer);
        poll = null;
      });
      return undefined;
    },
    sendmessage: (params) => {
      const record = chatRecord(integer(params, "chat_id") as number);
      const raw = typeof params.text === "string" ? params.text : "";
      if (raw.trim() === "") throw badRequest("message text is empty");
      const { text, entities } = formatted(raw, params.parse_mode, MESSAGE_LIMIT, "message");
      if (text.length > MESSAGE_LIMIT) throw badRequest("message is too long");
      const keyboard = inlineKeyboard(params);
      const message = storeMessage(record, {
        ...outgoing(record, params),
        text,
        ...(entities.length ? { entities } : {}),
        ...(keyboard ? { reply_markup: keyboard } : {}),
      });
      sent.push(message);
      return message;
    },
    editmessagereplymarkup: (params) => {
      const record = chatRecord(integer(params, "chat_id") as number);
      const message = record.messages.get(integer(params, "message_id") as number);
      if (!message) throw badRequest("message to edit not found");
      if (message.from?.id !== bot.id) throw badRequest("message can't be edited");
      const keyboard = inlineKeyboard(params);
      if (JSON.stringify(keyboard) === JSON.stringify(message.reply_markup))
        throw badRequest(
          "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        );
      if (keyboard) message.reply_markup = keyboard;
      else delete message.reply_markup;
      message.edit_date = now();
      return message;
    },
    answercallbackquery: (params) => {
      const id = String(params.callback_query_id ?? "");
      if (!openCallbacks.delete(id))
        throw badRequest("query is too old and response timeout expired or query ID is invalid");
      answeredCallbacks.push(id);
      return true;
    },
    editmessagetext: (params) => {
      const record = chatRecord(integer(params, "chat_id") as number);
      const message = record.messages.get(integer(params, "message_id") as number);
      if (!message) throw badRequest("message to edit not found");
      if (message.from?.id !== bot.id) throw badRequest("message can't be edited");
      const { text, entities } = formatted(
        String(params.text ?? ""),
        params.parse_mode,
        MESSAGE_LIMIT,
        "message",
      );
      if (text.trim() === "") throw badRequest("message text is empty");
      // Without reply_markup the edit drops the inline keyboard, as on the real server.
      const keyboard = inlineKeyboard(params);
      if (
        sameContent(message, text, entities) &&
        JSON.stringify(keyboard) === JSON.stringify(message.reply_markup)
      ) {
        throw badRequest(
          "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        );
      }
      message.text = text;
      if (entities.length > 0) message.entities = entities;
      else delete message.entities;
      if (keyboard) message.reply_markup = keyboard;
      else delete message.reply_markup;
      message.edit_date = now();
      return message;
    },
    deletemessage: (params) => {
      const record = chatRecord(integer(params, "chat_id") as number);
      const messageId = integer(params, "message_id") as number;
      const message = record.messages.get(messageId);
      if (!message) throw badRequest("message to delete not found");
      if (message.from?.id !== bot.id) throw badRequest("message can't be deleted");
      record.messages.delete(messageId);
      // `sent` holds what the chat shows now: a deleted message leaves it.
      const index = sent.indexOf(message);
      if (index !== -1) sent.splice(index, 1);
      return true;
    },
    setmessagereaction: (params) => {
      const chatId = integer(params, "chat_id") as number;
      const messageId = integer(params, "message_id") as number;
      if (!chatRecord(chatId).messages.has(messageId)) throw badRequest("MESSAGE_ID_INVALID");
      const reaction = json<ReactionType[]>(params.reaction) ?? [];
      if (!Array.isArray(reaction)) throw badRequest("REACTION_INVALID");
      if (reaction.length > 1) throw badRequest("REACTIONS_TOO_MANY");
      for (const item of reaction) {
        if (item.type !== "emoji" || !REACTION_EMOJI.has(item.emoji))
          throw badRequest("REACTION_INVALID");
      }
      reactions.set(`${chatId}:${messageId}`, reaction);
      return true;
    },
    sendchataction: (params) => {
      chatRecord(integer(params, "chat_id") as number);
      if (!CHAT_ACTIONS.has(String(params.action)))
        throw badRequest("wrong parameter action in request");
      return true;
    },
    senddocument: (params) => sendFile(params, "document"),
    sendphoto: (params) => sendFile(params, "photo"),
    getfile: (params) => {
      const stored = files.get(String(params.file_id ?? ""));
      if (!stored) throw badRequest("invalid file_id");
      if (stored.bytes.length > DOWNLOAD_LIMIT) throw badRequest("file is too big");
      const file: File = {
        file_id: stored.file_id,
        file_unique_id: stored.file_unique_id,
        file_size: stored.bytes.length,
        file_path: stored.file_path,
      };
      return file;
    },
    getchat: (params) => {
      const record = chatRecord(integer(params, "chat_id") as number);
      return {
        ...record.chat,
        accent_color_id: 0,
        max_reaction_count: 11,
        accepted_gift_types: {},
      };
    },
  };

  function sendFile(params: Record<string, unknown>, field: "document" | "photo"): Message {
    const record = chatRecord(integer(params, "chat_id") as number);
    const stored = upload(params, field);
    const caption = typeof params.caption === "string" ? params.caption : "";
    const parsed = formatted(caption, params.parse_mode, CAPTION_LIMIT, "caption");
    if (parsed.text.length > CAPTION_LIMIT) throw badRequest("message caption is too long");
    const uploaded = params[field] as UploadedFile | string;
    const fileName = typeof uploaded === "object" ? uploaded.fileName : "file";
    const media =
      field === "document"
        ? {
            document: {
              file_id: stored.file_id,
              file_unique_id: stored.file_unique_id,
              file_name: fileName,
              mime_type:
                typeof uploaded === "object" ? uploaded.mimeType : "application/octet-stream",
              file_size: stored.bytes.length,
            },
          }
        : {
            photo: [
              {
                file_id: stored.file_id,
                file_unique_id: stored.file_unique_id,
                width: 800,
                height: 800,
                file_size: stored.bytes.length,
              },
            ],
          };
    const message = storeMessage(record, {
      ...outgoing(record, params),
      ...media,
      ...(parsed.text ? { caption: parsed.text } : {}),
      ...(parsed.entities.length ? { caption_entities: parsed.entities } : {}),
    });
    sent.push(message);
    return message;
  }

  async function readParams(request: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const type = request.headers["content-type"] ?? "";
    if (body.length === 0) return params;
    if (type.startsWith("application/json")) {
      const parsed: unknown = JSON.parse(body.toString("utf8"));
      return { ...params, ...(parsed as Record<string, unknown>) };
    }
    if (type.startsWith("application/x-www-form-urlencoded")) {
      return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString("utf8"))) };
    }
    if (type.startsWith("multipart/form-data")) {
      const { fields, files: uploads } = parseMultipart(body, type);
      const referenced = new Set<string>();
      for (const [name, value] of fields) {
        const attached = /^attach:\/\/(.+)$/.exec(value)?.[1];
        if (attached !== undefined && uploads.has(attached)) referenced.add(attached);
        params[name] =
          attached !== undefined && uploads.has(attached)
            ? uploads.get(attached)
            : decodeField(value);
      }
      // curl-style uploads name the file part after the parameter itself.
      for (const [name, file] of uploads)
        if (!referenced.has(name) && !(name in params)) params[name] = file;
      return params;
    }
    throw badRequest("unsupported content type");
  }

  function takeFailure(method: string): FailureSpec | undefined {
    const queue = failures.get(method);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    if (next.skip && next.skip > 0) {
      next.skip -= 1;
      return undefined;
    }
    queue.shift();
    return next;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (download) {
      const stored =
        download[1] === token ? filesByPath.get(decodeURIComponent(download[2] ?? "")) : undefined;
      if (!stored) {
        reply(response, 404, { ok: false, error_code: 404, description: "Not Found" });
        return;
      }
      response.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": stored.bytes.length,
      });
      response.end(stored.bytes);
      return;
    }
    const route = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!route) {
      reply(response, 404, { ok: false, error_code: 404, description: "Not Found" });
      return;
    }
    let call: RecordedCall | null = null;
    try {
      const params = await readParams(request, url);
      call = record(route[2] ?? "", params);
      if (decodeURIComponent(route[1] ?? "") !== token) throw new ApiError(401, "Unauthorized");
      const failure = takeFailure(call.method);
      if (failure && "dropConnection" in failure) {
        call.status = 0;
        request.socket.destroy();
        return;
      }
      if (failure)
        throw new ApiError(
          failure.error_code ?? failure.status,
          failure.description,
          failure.retry_after,
        );
      const implementation = methods[call.method.toLowerCase()];
      if (!implementation) throw new ApiError(404, "Not Found");
      const result = implementation(params, call, response);
      if (result !== undefined) answer(call, response, result);
    } catch (error) {
      if (error instanceof ApiError) answerError(call, response, error);
      else if (error instanceof HtmlParseError)
        answerError(call, response, new ApiError(400, error.message));
      else if (error instanceof SyntaxError)
        answerError(call, response, badRequest("request body is not valid JSON"));
      else
        answerError(call, response, new ApiError(500, `Internal Server Error: ${String(error)}`));
    }
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    bot,
    calls,
    sent,
    injectMessage,
    injectEdit,
    injectUpdate,
    injectCallbackQuery,
    answeredCallbacks,
    messageNow: (chatId, messageId) => chats.get(chatId)?.messages.get(messageId),
    waitForCall(method, predicate = () => true, timeoutMs = 10_000) {
      const matches = (call: RecordedCall) => call.method === method && predicate(call);
      const found = calls.find(matches);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          callWaiters.delete(waiter);
          const seen = calls.map((call) => call.method).join(", ");
          reject(
            new Error(`no matching ${method} call within ${timeoutMs} ms; calls so far: ${seen}`),
          );
        }, timeoutMs);
        const waiter = (call: RecordedCall) => {
          if (!matches(call)) return;
          clearTimeout(timer);
          callWaiters.delete(waiter);
          resolve(call);
        };
        callWaiters.add(waiter);
      });
    },
    failNext(method, failure) {
      const queue = failures.get(method) ?? [];
      queue.push({ ...failure });
      failures.set(method, queue);
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    addFile,
    fileBytes: (fileId) => files.get(fileId)?.bytes,
    reactionsOn(chatId, messageId) {
      return reactions.get(`${chatId}:${messageId}`) ?? [];
    },
    pendingUpdateIds() {
      return pending.map((update) => update.update_id);
    },
    async close() {
      if (poll) clearTimeout(poll.timer);
      poll = null;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
