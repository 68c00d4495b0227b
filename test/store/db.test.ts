import { test } from "node:test";
import assert from "node:assert/strict";
import { migrate, openDb, sql, transaction } from "../../src/store/db.ts";
import { migrations } from "../../src/store/migrations.ts";
import { insertInbound } from "../../src/store/messages.ts";
import { openTempStore } from "../helpers/store.ts";

function versions(db: ReturnType<typeof openDb>): number[] {
  return (
    db.prepare("SELECT version FROM schema_version ORDER BY version").all() as { version: number }[]
  ).map((row) => row.version);
}

const inbound = {
  channel: "web",
  chatId: "main",
  platformId: "p1",
  senderId: "owner",
  senderName: "Owner",
  text: "remember this",
  timestamp: 1,
};

test("openDb creates the file in WAL mode with every migration applied once", (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  assert.deepEqual(
    versions(store.db),
    migrations.map((m) => m.version),
  );
  const mode = store.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
  assert.equal(mode.journal_mode, "wal");
  const fk = store.db.prepare("PRAGMA foreign_keys").get() as { foreign_keys: number };
  assert.equal(fk.foreign_keys, 1);
});

test("reopening an existing store re-applies nothing and keeps the data", (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  insertInbound(store.db, inbound);
  store.db.close();
  const again = openDb(store.file);
  try {
    assert.deepEqual(
      versions(again),
      migrations.map((m) => m.version),
    );
    migrate(again);
    assert.deepEqual(
      versions(again),
      migrations.map((m) => m.version),
    );
    const row = again.prepare("SELECT text FROM messages").get() as { text: string };
    assert.equal(row.text, "remember this");
  } finally {
    again.close();
  }
});

test("transaction commits, rolls back on error and joins an outer transaction", (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  const { db } = store;
  const count = () => (db.prepare("SELECT COUNT(*) AS n FROM messages").get() as { n: number }).n;
  transaction(db, () => insertInbound(db, { ...inbound, platformId: "a" }));
  assert.equal(count(), 1);
  assert.throws(() =>
    transaction(db, () => {
      insertInbound(db, { ...inbound, platformId: "b" });
      transaction(db, () => insertInbound(db, { ...inbound, platformId: "c" }));
      throw new Error("boom");
    }),
  );
  assert.equal(count(), 1);
  assert.equal(db.isTransaction, false);
});

test("sql compiles a statement once per database and reuses it", (t) => {
  const first = openTempStore();
  const second = openTempStore();
  t.after(() => {
    first.close();
    second.close();
  });
  const text = "SELECT COUNT(*) AS n FROM messages";
  const statement = sql(first.db, text);
  assert.equal(sql(first.db, text), statement);
  assert.notEqual(sql(second.db, text), statement);
  assert.deepEqual({ ...(statement.get() as object) }, { n: 0 });
  insertInbound(first.db, inbound);
  assert.deepEqual({ ...(sql(first.db, text).get() as object) }, { n: 1 });
});

test("sql keeps a bounded number of statements, dropping the oldest", (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  const oldest = sql(store.db, "SELECT 0");
  for (let i = 1; i <= 600; i++) sql(store.db, `SELECT ${i}`);
  // The oldest was dropped: asking again compiles a new one.
  assert.notEqual(sql(store.db, "SELECT 0"), oldest);
  const recent = sql(store.db, "SELECT 600");
  assert.equal(sql(store.db, "SELECT 600"), recent);
});
