// Outbound deliveries: one row per reply, retried with backoff until sent or failed.
import { type Db, sql } from "./db.ts";
import type { StoredOutboundFile } from "./outbound-files.ts";

export interface OutboxItem {
  id: number;
  messageId: number;
  channel: string;
  chatId: string;
  threadId: string | null;
  /** The text, or a file's caption. */
  text: string;
  /** A file an agent sent (send_file), with `text` as its caption. */
  file: StoredOutboundFile | null;
  status: "pending" | "sent" | "failed";
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

interface OutboxRow {
  id: number;
  message_id: number;
  channel: string;
  chat_id: string;
  thread_id: string | null;
  text: string;
  file_name: string | null;
  file_type: string | null;
  file_size: number | null;
  file_stored: string | null;
  file_removed_at: number | null;
  status: OutboxItem["status"];
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

function toItem(row: OutboxRow): OutboxItem {
  return {
    id: row.id,
    messageId: row.message_id,
    channel: row.channel,
    chatId: row.chat_id,
    threadId: row.thread_id,
    text: row.text,
    file:
      row.file_stored === null
        ? null
        : {
            messageId: row.message_id,
            name: row.file_name!,
            mimeType: row.file_type!,
            size: row.file_size!,
            stored: row.file_stored,
            removedAt: row.file_removed_at,
          },
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
  };
}

const SELECT = `SELECT o.id, o.message_id, o.channel, o.chat_id, o.thread_id, m.text,
  f.name AS file_name, f.mime_type AS file_type, f.size AS file_size, f.stored AS file_stored,
  f.removed_at AS file_removed_at,
  o.status, o.attempts, o.next_attempt_at, o.last_error
  FROM outbox o JOIN messages m ON m.id = o.message_id
  LEFT JOIN outbound_files f ON f.message_id = o.message_id`;

export function enqueueDelivery(
  db: Db,
  item: { messageId: number; channel: string; chatId: string; threadId?: string | undefined },
  now: number,
): number {
  const row = sql(
    db,
    `INSERT INTO outbox (message_id, channel, chat_id, thread_id, status, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
  ).get(item.messageId, item.channel, item.chatId, item.threadId ?? null, now, now) as {
    id: number;
  };
  return row.id;
}

export function getDelivery(db: Db, id: number): OutboxItem | undefined {
  const row = sql(db, `${SELECT} WHERE o.id = ?`).get(id) as OutboxRow | undefined;
  return row && toItem(row);
}

export function pendingDeliveries(db: Db): OutboxItem[] {
  return (
    sql(db, `${SELECT} WHERE o.status = 'pending' ORDER BY o.id`).all() as unknown as OutboxRow[]
  ).map(toItem);
}

export function markSent(db: Db, id: number, now: number): void {
  sql(
    db,
    "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
  ).run(now, id);
}

export function markRetry(db: Db, id: number, error: string, nextAttemptAt: number): void {
  sql(
    db,
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
  ).run(error, nextAttemptAt, id);
}

export function markFailed(db: Db, id: number, error: string): void {
  sql(
    db,
    "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
  ).run(error, id);
}

export function failedDeliveries(db: Db, limit: number): OutboxItem[] {
  return (
    sql(db, `${SELECT} WHERE o.status = 'failed' ORDER BY o.id DESC LIMIT ?`).all(
      limit,
    ) as unknown as OutboxRow[]
  ).map(toItem);
}

/** Delivered outbound messages of one chat after a row id: what an SSE client missed. */
export function sentAfter(
  db: Db,
  channel: string,
  chatId: string,
  afterMessageId: number,
): { id: number; text: string; createdAt: number }[] {
  return sql(
    db,
    `SELECT m.id, m.text, m.timestamp AS createdAt FROM outbox o JOIN messages m ON m.id = o.message_id
       WHERE o.channel = ? AND o.chat_id = ? AND o.status = 'sent' AND m.id > ? ORDER BY m.id`,
  ).all(channel, chatId, afterMessageId) as { id: number; text: string; createdAt: number }[];
}
