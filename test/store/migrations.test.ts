// Migrations that change existing rows, run on a real SQLite file written at the version
// before them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { migrate } from "../../src/store/db.ts";
import { migrations } from "../../src/store/migrations.ts";
import { getOutboundFile } from "../../src/store/outbound-files.ts";

/** A database at `version`, as an older release left it. */
function databaseAt(t: { after(fn: () => void): void }, version: number): DatabaseSync {
  const dir = mkdtempSync(join(tmpdir(), "pincer-migrations-"));
  const db = new DatabaseSync(join(dir, "pincer.db"));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
  for (const migration of migrations.filter((m) => m.version <= version)) {
    db.exec(migration.sql);
    db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(migration.version);
  }
  return db;
}

test("13: the copies already deleted at delivery (platform chats) are marked removed", (t) => {
  const db = databaseAt(t, 12);
  const sentFile = (channel: string, status: string, timestamp: number): number => {
    const { id } = db
      .prepare(
        `INSERT INTO messages (channel, chat_id, direction, sender_id, sender_name, text, timestamp)
           VALUES (?, 'c', 'out', 'assistant', 'Andy', '', ?) RETURNING id`,
      )
      .get(channel, timestamp) as { id: number };
    db.prepare(
      "INSERT INTO outbound_files (message_id, name, mime_type, size, stored) VALUES (?, 'a.pdf', 'application/pdf', 1, ?)",
    ).run(id, `copy-${id}`);
    db.prepare(
      `INSERT INTO outbox (message_id, channel, chat_id, status, next_attempt_at, created_at)
         VALUES (?, ?, 'c', ?, 0, 0)`,
    ).run(id, channel, status);
    return id;
  };
  const telegramSent = sentFile("telegram", "sent", 1_000);
  const slackFailed = sentFile("slack", "failed", 2_000);
  const telegramPending = sentFile("telegram", "pending", 3_000);
  const webSent = sentFile("web", "sent", 4_000);

  migrate(db);

  assert.equal(getOutboundFile(db, telegramSent)?.removedAt, 1_000);
  assert.equal(getOutboundFile(db, slackFailed)?.removedAt, 2_000);
  assert.equal(getOutboundFile(db, telegramPending)?.removedAt, null, "still to be sent");
  assert.equal(getOutboundFile(db, webSent)?.removedAt, null, "the web chat's is kept");
});
