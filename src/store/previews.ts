// Preview messages: a reply shown while it is being written, as one platform message that is
// edited as it grows. A row is written before the message is sent, its platform id as soon as
// the send returns, and it is claimed by the outbox row of the final answer that replaces it.
// An unclaimed row found at startup belongs to a turn that never finished.
import { type Db, sql } from "./db.ts";

export interface Preview {
  id: number;
  channel: string;
  chatId: string;
  /** The platform's message id; null until the send returned (or when it failed). */
  platformId: string | null;
  /** The outbox row whose delivery replaces this preview; null while the turn writes. */
  outboxId: number | null;
}

interface PreviewRow {
  id: number;
  channel: string;
  chat_id: string;
  platform_id: string | null;
  outbox_id: number | null;
}

function toPreview(row: PreviewRow): Preview {
  return {
    id: row.id,
    channel: row.channel,
    chatId: row.chat_id,
    platformId: row.platform_id,
    outboxId: row.outbox_id,
  };
}

export function insertPreview(db: Db, channel: string, chatId: string, now: number): number {
  const row = sql(
    db,
    "INSERT INTO previews (channel, chat_id, created_at) VALUES (?, ?, ?) RETURNING id",
  ).get(channel, chatId, now) as { id: number };
  return row.id;
}

export function setPreviewPlatformId(db: Db, id: number, platformId: string): void {
  sql(db, "UPDATE previews SET platform_id = ? WHERE id = ?").run(platformId, id);
}

/** Hands the preview to the outbox row that will replace it with the final text. */
export function claimPreview(db: Db, id: number, outboxId: number): void {
  sql(db, "UPDATE previews SET outbox_id = ? WHERE id = ?").run(outboxId, id);
}

export function previewOfDelivery(db: Db, outboxId: number): Preview | undefined {
  const row = sql(db, "SELECT * FROM previews WHERE outbox_id = ?").get(outboxId) as
    PreviewRow | undefined;
  return row && toPreview(row);
}

export function getPreview(db: Db, id: number): Preview | undefined {
  const row = sql(db, "SELECT * FROM previews WHERE id = ?").get(id) as PreviewRow | undefined;
  return row && toPreview(row);
}

export function deletePreview(db: Db, id: number): void {
  sql(db, "DELETE FROM previews WHERE id = ?").run(id);
}

/**
 * Previews no pending delivery will replace: their turn ended without a final text (or never
 * ended, before a restart), or the final answer failed for good. Their messages are removed.
 */
export function orphanedPreviews(db: Db): Preview[] {
  return (
    sql(
      db,
      `SELECT p.* FROM previews p LEFT JOIN outbox o ON o.id = p.outbox_id
         WHERE o.id IS NULL OR o.status != 'pending' ORDER BY p.id`,
    ).all() as unknown as PreviewRow[]
  ).map(toPreview);
}
