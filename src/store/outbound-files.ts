// Files agents sent: one per outbound message (its text is the caption), the bytes in the
// host's copy named `stored` in DATA_DIR/store/outbound-files/ (data-layout.ts).
import { type Db, sql } from "./db.ts";

export interface StoredOutboundFile {
  messageId: number;
  name: string;
  mimeType: string;
  size: number;
  /** The copy's file name in the outbound files folder. */
  stored: string;
}

interface Row {
  message_id: number;
  name: string;
  mime_type: string;
  size: number;
  stored: string;
}

function toFile(row: Row): StoredOutboundFile {
  return {
    messageId: row.message_id,
    name: row.name,
    mimeType: row.mime_type,
    size: row.size,
    stored: row.stored,
  };
}

export function insertOutboundFile(db: Db, file: StoredOutboundFile): void {
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
