// The retention of sent files' copies, on a real SQLite store and a real folder, against an
// injected clock: an old delivered copy goes (its row marked), a fresh one stays, an old
// one still waiting for delivery stays, and a retention of 0 keeps everything.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pruneSentFiles } from "../../src/core/outbound-retention.ts";
import { getOutboundFile } from "../../src/store/outbound-files.ts";
import { markSent } from "../../src/store/outbox.ts";
import { storeSentFile } from "../helpers/sent-file.ts";
import { openTempStore } from "../helpers/store.ts";

const DAY = 24 * 60 * 60_000;
const NOW = Date.UTC(2027, 0, 31, 12);

function setup(t: { after(fn: () => void): void }) {
  const store = openTempStore();
  const filesDir = join(store.dir, "store", "outbound-files");
  mkdirSync(filesDir, { recursive: true });
  t.after(() => store.close());
  /** A file the web chat's agent sent `daysAgo` days before NOW, its outbox row in `status`. */
  const sent = (daysAgo: number, status: "pending" | "sent" | "failed") =>
    storeSentFile(store.db, filesDir, NOW - daysAgo * DAY, status);
  return { store, filesDir, sent };
}

test("an old delivered copy is removed and its row marked; fresh and pending ones stay", async (t) => {
  const { store, filesDir, sent } = setup(t);
  const old = sent(31, "sent");
  const oldFailed = sent(40, "failed");
  const fresh = sent(29, "sent");
  const waiting = sent(45, "pending");

  const pruned = await pruneSentFiles({ db: store.db, filesDir, retentionDays: 30, now: NOW });

  assert.deepEqual(pruned, { expired: 2, orphans: 0 });
  for (const gone of [old, oldFailed]) {
    assert.equal(existsSync(gone.copy), false);
    assert.equal(getOutboundFile(store.db, gone.messageId)?.removedAt, NOW);
  }
  for (const kept of [fresh, waiting]) {
    assert.equal(existsSync(kept.copy), true);
    assert.equal(getOutboundFile(store.db, kept.messageId)?.removedAt, null);
  }
  assert.equal(getOutboundFile(store.db, old.messageId)?.name, "report.pdf", "the row stays");

  // Once delivered, the old one goes at the next run; nothing is counted twice.
  markSent(store.db, waiting.outboxId, NOW);
  assert.deepEqual(
    await pruneSentFiles({ db: store.db, filesDir, retentionDays: 30, now: NOW + DAY }),
    { expired: 1, orphans: 0 },
  );
  assert.equal(existsSync(waiting.copy), false);
  assert.equal(existsSync(fresh.copy), true, "still within 30 days of NOW + 1 day");
});

test("a retention of 0 keeps every copy, orphans included", async (t) => {
  const { store, filesDir, sent } = setup(t);
  const ancient = sent(3650, "sent");
  const orphan = join(filesDir, "orphan");
  writeFileSync(orphan, "x");
  utimesSync(orphan, new Date(NOW - 3650 * DAY), new Date(NOW - 3650 * DAY));

  assert.deepEqual(await pruneSentFiles({ db: store.db, filesDir, retentionDays: 0, now: NOW }), {
    expired: 0,
    orphans: 0,
  });
  assert.equal(existsSync(ancient.copy), true);
  assert.equal(existsSync(orphan), true);
  assert.equal(getOutboundFile(store.db, ancient.messageId)?.removedAt, null);
});

test("a copy no row names goes once older than the retention, a young one stays", async (t) => {
  const { store, filesDir, sent } = setup(t);
  const kept = sent(1, "sent");
  const old = join(filesDir, "left-by-a-crash");
  const young = join(filesDir, "row-on-its-way");
  writeFileSync(old, "x");
  writeFileSync(young, "x");
  utimesSync(old, new Date(NOW - 31 * DAY), new Date(NOW - 31 * DAY));
  utimesSync(young, new Date(NOW - DAY), new Date(NOW - DAY));

  assert.deepEqual(await pruneSentFiles({ db: store.db, filesDir, retentionDays: 30, now: NOW }), {
    expired: 0,
    orphans: 1,
  });
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(young), true);
  assert.equal(existsSync(kept.copy), true);
});

test("a row whose copy is already gone is marked; a missing folder is no error", async (t) => {
  const { store, filesDir, sent } = setup(t);
  const old = sent(100, "sent");
  rmSync(old.copy);
  await pruneSentFiles({ db: store.db, filesDir, retentionDays: 30, now: NOW });
  assert.equal(getOutboundFile(store.db, old.messageId)?.removedAt, NOW);
  assert.deepEqual(
    await pruneSentFiles({
      db: store.db,
      filesDir: join(store.dir, "nowhere"),
      retentionDays: 30,
      now: NOW,
    }),
    { expired: 0, orphans: 0 },
  );
});
