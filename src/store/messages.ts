// Every message in and out, in one table: inbound ones keyed by the platform's id so a
// redelivery is a no-op, outbound ones written before delivery and stamped on it.
import { type Db, sql, transaction } from "./db.ts";

export interface StoredMessage {
  id: number;
  channel: string;
  chatId: string;
  direction: "in" | "out";
  platformId: string | null;
  threadId: string | null;
  senderId: string;
  senderName: string;
  text: string;
  replyTo: { messageId: string; senderName: string; text: string } | null;
  /** Inbound: the platform marked it as addressed to the bot (a mention, a reply to it). */
  mentionsBot?: boolean;
  attachments: StoredAttachment[] | null;
  timestamp: number;
  editedAt: number | null;
  deleted: boolean;
  turnThrough: number | null;
}

export interface StoredAttachment {
  kind: string;
  /** Path relative to the group folder, or null when the file was refused. */
  path: string | null;
  fileName: string;
  note?: string;
  mimeType?: string;
  voice?: boolean;
  durationSeconds?: number;
  /** Voice notes only: what became of turning the recording into text. */
  transcription?: StoredTranscription;
}

export type StoredTranscription =
  { status: "pending" } | { status: "done"; text: string } | { status: "failed"; reason: string };

interface MessageRow {
  id: number;
  channel: string;
  chat_id: string;
  direction: "in" | "out";
  platform_id: string | null;
  thread_id: string | null;
  sender_id: string;
  sender_name: string;
  text: string;
  reply_to: string | null;
  mentions_bot: number;
  attachments: string | null;
  timestamp: number;
  edited_at: number | null;
  deleted: number;
  turn_through: number | null;
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    channel: row.channel,
    chatId: row.chat_id,
    direction: row.direction,
    platformId: row.platform_id,
    threadId: row.thread_id,
    senderId: row.sender_id,
    senderName: row.sender_name,
    text: row.text,
    replyTo: row.reply_to ? (JSON.parse(row.reply_to) as StoredMessage["replyTo"]) : null,
    mentionsBot: row.mentions_bot === 1,
    attachments: row.attachments ? (JSON.parse(row.attachments) as StoredAttachment[]) : null,
    timestamp: row.timestamp,
    editedAt: row.edited_at,
    deleted: row.deleted === 1,
    turnThrough: row.turn_through,
  };
}

export interface NewInbound {
  channel: string;
  chatId: string;
  platformId: string;
  threadId?: string | undefined;
  senderId: string;
  senderName: string;
  text: string;
  replyTo?: StoredMessage["replyTo"] | undefined;
  mentionsBot?: boolean | undefined;
  timestamp: number;
  /** The id of the ask_user question this message answered (see inboundAfter). */
  answers?: string | undefined;
}

/** Stores an inbound message once; returns its row id and whether this call created it. */
export function insertInbound(db: Db, message: NewInbound): { id: number; created: boolean } {
  const inserted = sql(
    db,
    `INSERT INTO messages (channel, chat_id, direction, platform_id, thread_id, sender_id, sender_name, text, reply_to, mentions_bot, timestamp, answers)
       VALUES (?, ?, 'in', ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel, chat_id, platform_id) WHERE direction = 'in' DO NOTHING
       RETURNING id`,
  ).get(
    message.channel,
    message.chatId,
    message.platformId,
    message.threadId ?? null,
    message.senderId,
    message.senderName,
    message.text,
    message.replyTo ? JSON.stringify(message.replyTo) : null,
    message.mentionsBot ? 1 : 0,
    message.timestamp,
    message.answers ?? null,
  ) as { id: number } | undefined;
  if (inserted) return { id: inserted.id, created: true };
  const existing = sql(
    db,
    "SELECT id FROM messages WHERE channel = ? AND chat_id = ? AND platform_id = ? AND direction = 'in'",
  ).get(message.channel, message.chatId, message.platformId) as { id: number };
  return { id: existing.id, created: false };
}

export function setAttachments(db: Db, id: number, attachments: StoredAttachment[]): void {
  sql(db, "UPDATE messages SET attachments = ? WHERE id = ?").run(JSON.stringify(attachments), id);
}

/**
 * Stores finished transcriptions: the attachments, and `lines` appended to the message's
 * text so that history and full-text search carry them. Appending in SQL keeps an edit
 * that arrived meanwhile; the message is not marked edited.
 */
export function setTranscripts(
  db: Db,
  id: number,
  attachments: StoredAttachment[],
  lines: string,
): void {
  sql(
    db,
    "UPDATE messages SET attachments = ?1, text = CASE WHEN text = '' THEN ?2 ELSE text || char(10) || ?2 END WHERE id = ?3",
  ).run(JSON.stringify(attachments), lines, id);
}

export function findInbound(
  db: Db,
  channel: string,
  chatId: string,
  platformId: string,
): StoredMessage | undefined {
  const row = sql(
    db,
    "SELECT * FROM messages WHERE channel = ? AND chat_id = ? AND platform_id = ? AND direction = 'in'",
  ).get(channel, chatId, platformId) as MessageRow | undefined;
  return row && toMessage(row);
}

export function editMessage(db: Db, id: number, text: string, at: number): void {
  sql(db, "UPDATE messages SET text = ?, edited_at = ? WHERE id = ?").run(text, at, id);
}

export function markDeleted(db: Db, id: number): void {
  sql(db, "UPDATE messages SET deleted = 1 WHERE id = ?").run(id);
}

export interface NewOutbound {
  channel: string;
  chatId: string;
  threadId?: string | undefined;
  senderName: string;
  text: string;
  timestamp: number;
  turnThrough?: number | undefined;
}

export function insertOutbound(db: Db, message: NewOutbound): number {
  const row = sql(
    db,
    `INSERT INTO messages (channel, chat_id, direction, thread_id, sender_id, sender_name, text, timestamp, turn_through)
       VALUES (?, ?, 'out', ?, 'assistant', ?, ?, ?, ?) RETURNING id`,
  ).get(
    message.channel,
    message.chatId,
    message.threadId ?? null,
    message.senderName,
    message.text,
    message.timestamp,
    message.turnThrough ?? null,
  ) as { id: number };
  return row.id;
}

/** Stamps an outbound message with the platform ids it went out as, each one findable. */
export function setPlatformIds(db: Db, id: number, platformIds: string[]): void {
  transaction(db, () => {
    const row = sql(
      db,
      "UPDATE messages SET platform_id = ? WHERE id = ? RETURNING channel, chat_id",
    ).get(platformIds.join(","), id) as { channel: string; chat_id: string } | undefined;
    sql(db, "DELETE FROM outbound_platform_ids WHERE message_id = ?").run(id);
    if (!row) return;
    const insert = sql(
      db,
      `INSERT OR IGNORE INTO outbound_platform_ids (channel, chat_id, platform_id, message_id)
         VALUES (?, ?, ?, ?)`,
    );
    for (const platformId of platformIds)
      if (platformId !== "") insert.run(row.channel, row.chat_id, platformId, id);
  });
}

/**
 * The message the assistant sent in a chat that the platform knows by `platformId` (one
 * of its parts, for a reply sent in several). Used to tell a reply to the bot: an index
 * lookup (outbound_platform_ids), however many replies the chat has had.
 */
export const FIND_OUTBOUND = `SELECT messages.* FROM outbound_platform_ids AS ids
    JOIN messages ON messages.id = ids.message_id
    WHERE ids.channel = ? AND ids.chat_id = ? AND ids.platform_id = ?
    ORDER BY ids.message_id DESC LIMIT 1`;

export function findOutbound(
  db: Db,
  channel: string,
  chatId: string,
  platformId: string,
): StoredMessage | undefined {
  const row = sql(db, FIND_OUTBOUND).get(channel, chatId, platformId) as MessageRow | undefined;
  return row && toMessage(row);
}

export function getMessage(db: Db, id: number): StoredMessage | undefined {
  const row = sql(db, "SELECT * FROM messages WHERE id = ?").get(id) as MessageRow | undefined;
  return row && toMessage(row);
}

/**
 * Inbound messages of a chat after a row id, oldest first: what the agent has to read.
 * Answers to its questions are left out: it got them as the ask_user tool's result.
 */
export function inboundAfter(
  db: Db,
  channel: string,
  chatId: string,
  afterId: number,
): StoredMessage[] {
  return (
    sql(
      db,
      "SELECT * FROM messages WHERE channel = ? AND chat_id = ? AND direction = 'in' AND id > ? AND deleted = 0 AND answers IS NULL ORDER BY id",
    ).all(channel, chatId, afterId) as unknown as MessageRow[]
  ).map(toMessage);
}

/** Replies already written by a turn that read past `afterId` (a turn a crash cut short). */
export function repliesOfUnfinishedTurn(
  db: Db,
  channel: string,
  chatId: string,
  afterId: number,
): StoredMessage[] {
  return (
    sql(
      db,
      "SELECT * FROM messages WHERE channel = ? AND chat_id = ? AND direction = 'out' AND turn_through > ? ORDER BY id",
    ).all(channel, chatId, afterId) as unknown as MessageRow[]
  ).map(toMessage);
}

export function history(
  db: Db,
  channel: string,
  chatId: string,
  options: { beforeId?: number; limit: number },
): StoredMessage[] {
  const rows = sql(
    db,
    "SELECT * FROM messages WHERE channel = ? AND chat_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
  ).all(
    channel,
    chatId,
    options.beforeId ?? Number.MAX_SAFE_INTEGER,
    options.limit,
  ) as unknown as MessageRow[];
  return rows.reverse().map(toMessage);
}

/** Full-text search over one chat's messages, best matches first. */
export function searchMessages(
  db: Db,
  channel: string,
  chatId: string,
  query: string,
  limit: number,
): StoredMessage[] {
  // Quote every term so user text cannot use FTS5 query syntax (or break it).
  const terms = query
    .split(/\s+/)
    .map((term) => term.replace(/"/g, ""))
    .filter(Boolean)
    .map((term) => `"${term}"`);
  if (terms.length === 0) return [];
  const rows = sql(
    db,
    `SELECT m.* FROM messages_fts f JOIN messages m ON m.id = f.rowid
       WHERE messages_fts MATCH ? AND m.channel = ? AND m.chat_id = ? AND m.deleted = 0
       ORDER BY f.rank LIMIT ?`,
  ).all(terms.join(" "), channel, chatId, limit) as unknown as MessageRow[];
  return rows.map(toMessage);
}

export function latestMessageId(db: Db): number {
  const row = sql(db, "SELECT COALESCE(MAX(id), 0) AS id FROM messages").get() as { id: number };
  return row.id;
}

/** The texts of the replies written in a chat after a given message. */
export function repliesAfter(db: Db, channel: string, chatId: string, afterId: number): string[] {
  return (
    sql(
      db,
      "SELECT text FROM messages WHERE channel = ? AND chat_id = ? AND direction = 'out' AND id > ? AND turn_through >= ? ORDER BY id",
    ).all(channel, chatId, afterId, afterId) as { text: string }[]
  ).map((row) => row.text);
}

/** The newest inbound message of a chat at or before `through` that satisfies `accept`. */
export function latestInbound(
  db: Db,
  channel: string,
  chatId: string,
  through: number,
  accept: (message: StoredMessage) => boolean,
): StoredMessage | undefined {
  // Row by row: the first accepted one (usually the latest) ends the read.
  const rows = sql(
    db,
    "SELECT * FROM messages WHERE channel = ? AND chat_id = ? AND direction = 'in' AND id <= ? ORDER BY id DESC LIMIT 50",
  ).iterate(channel, chatId, through) as IterableIterator<MessageRow>;
  for (const row of rows) {
    const message = toMessage(row);
    if (accept(message)) return message;
  }
  return undefined;
}
