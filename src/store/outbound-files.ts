// Files agents sent: one per outbound message (its text is the caption), the bytes in the
// host's copy named `stored` in DATA_DIR/store/outbound-files/ (data-layout.ts). A copy is
// deleted once it is no longer needed (core/outbound-retention.ts, core/delivery.ts); the
// row stays, marked with when, so the history still names what was sent.
import { type Db, sql } from "./db.ts";

export interface StoredOutboundFile {
  messageId: number;
  name: string;
  mimeType: string;
  size: number;
  /** The copy's file name in the outbound files folder. */
  stored: string;
  /** When the copy was deleted; null while it is kept. */
  removedAt: number | null;
}

interface Row {
  message_id: number;
  name: string;
  mime_type: string;
  size: number;
  stored: string;
  removed_at: number | null;
}

function toFile(row: Row): StoredOutboundFile {
  return {
    messageId: row.message_id,
    name: row.name,
    mimeType: row.mime_type,
    size: row.size,
    stored: row.stored,
    removedAt: row.removed_at,
  };
}

export function insertOutboundFile(db: Db, file: Omit<StoredOutboundFile, "removedAt">): void {
  sql(
    db,
    "INSERT INTO outbound_files (message_id, name, mime_type, size, stored) VALUES (?, ?, ?, ?, ?)",
  ).run(file.messageId, file.name, file.mimeType, file.size, file.stored);
}

export function getOutboundFile(db: Db, messageId: number): StoredOutboundFile | undefined {
  const row = sql(db, "SELECT * FROM outbound_files WHERE message_id = ?").get(messageId) as
    Row | undefined;
  return row && toFile(row);
}

/** The files of these messages, by message id (messages without one are absent). */
export function outboundFilesOf(db: Db, messageIds: number[]): Map<number, StoredOutboundFile> {
  if (messageIds.length === 0) return new Map();
  const rows = sql(
    db,
    `SELECT * FROM outbound_files WHERE message_id IN (${messageIds.map(() => "?").join(",")})`,
  ).all(...messageIds) as unknown as Row[];
  return new Map(rows.map((row) => [row.message_id, toFile(row)]));
}

/**
 * Files whose copy is still kept, sent before `before`, and no longer waiting for delivery:
 * a pending outbox row reads its copy when it is (re)tried, however old it is.
 */
export function keptFilesSentBefore(db: Db, before: number): StoredOutboundFile[] {
  return (
    sql(
      db,
      `SELECT f.* FROM outbound_files f JOIN messages m ON m.id = f.message_id
         WHERE f.removed_at IS NULL AND m.timestamp < ?
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = f.message_id AND o.status = 'pending')
         ORDER BY f.message_id`,
    ).all(before) as unknown as Row[]
  ).map(toFile);
}

/** The copy names of every file still kept. */
export function keptCopies(db: Db): Set<string> {
  const rows = sql(db, "SELECT stored FROM outbound_files WHERE removed_at IS NULL").all() as {
    stored: string;
  }[];
  return new Set(rows.map((row) => row.stored));
}

export function markCopyRemoved(db: Db, messageId: number, at: number): void {
  sql(db, "UPDATE outbound_files SET removed_at = ? WHERE message_id = ?").run(at, messageId);
}
