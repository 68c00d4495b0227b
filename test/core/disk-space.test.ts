import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskFullError, DiskSpace, type FreeSpace } from "../../src/core/disk-space.ts";
import { createLogger } from "../../src/log.ts";
import { RecentLines } from "../../src/log.ts";
import { isDiskFull, transaction } from "../../src/store/db.ts";
import { openTempStore } from "../helpers/store.ts";

function logged() {
  const records: { level: number; msg: string }[] = [];
  const logger = createLogger(
    "debug",
    { write: (line: string) => void records.push(JSON.parse(line)) },
    new RecentLines(10),
  );
  return { logger, errors: () => records.filter((r) => r.level >= 50), records };
}

/** A store that holds only a few pages: inserts fail with SQLITE_FULL like on a full disk. */
function tinyStore() {
  const store = openTempStore();
  store.db.exec("CREATE TABLE filler (x TEXT)");
  const pages = (store.db.prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
  store.db.exec(`PRAGMA max_page_count = ${pages + 1}`);
  const fill = () => {
    for (let i = 0; i < 100; i++)
      store.db.prepare("INSERT INTO filler VALUES (?)").run("x".repeat(4000));
  };
  return { ...store, fill };
}

function space(free: FreeSpace = { bytes: 0, files: 100 }) {
  const log = logged();
  let current = free;
  const disk = new DiskSpace({
    dir: "/unused",
    logger: log.logger,
    roomBytes: 1000,
    checkEveryMs: 3_600_000,
    freeSpace: () => current,
  });
  return { disk, log, setFree: (next: FreeSpace) => (current = next) };
}

test("SQLITE_FULL, ENOSPC and EDQUOT count as a full disk; other errors do not", () => {
  const store = tinyStore();
  try {
    assert.throws(store.fill, (error) => isDiskFull(error));
    assert.equal(isDiskFull(Object.assign(new Error("x"), { code: "ENOSPC" })), true);
    assert.equal(isDiskFull(Object.assign(new Error("x"), { code: "EDQUOT" })), true);
    assert.equal(isDiskFull(Object.assign(new Error("x"), { code: "EACCES" })), false);
    assert.equal(isDiskFull(new Error("database or disk is full")), false);
    assert.equal(isDiskFull(undefined), false);
  } finally {
    store.close();
  }
});

test("a transaction that SQLite rolled back for lack of space throws SQLITE_FULL, not a ROLLBACK error", () => {
  const store = tinyStore();
  try {
    assert.throws(
      () => transaction(store.db, store.fill),
      (error) => isDiskFull(error),
    );
    assert.equal(store.db.isTransaction, false);
    assert.equal(
      (store.db.prepare("SELECT COUNT(*) AS n FROM filler").get() as { n: number }).n,
      0,
      "nothing of the failed transaction is kept",
    );
  } finally {
    store.close();
  }
});

test("a write refused for lack of space becomes a DiskFullError, logged at error level once", () => {
  const store = tinyStore();
  const { disk, log } = space();
  try {
    for (let i = 0; i < 3; i++) {
      assert.throws(
        () => disk.write("an incoming message", store.fill),
        (error) =>
          error instanceof DiskFullError && /not stored: .*disk .*full/.test(error.message),
      );
    }
    assert.equal(disk.full, true);
    assert.equal(log.errors().length, 1);
    assert.match(log.errors()[0]!.msg, /disk that holds DATA_DIR is full/);
    assert.match(disk.warning!, /disk that holds DATA_DIR is full/);
  } finally {
    disk.stop();
    store.close();
  }
});

test("an async write refused for lack of space rejects with a DiskFullError", async () => {
  const { disk } = space();
  const full = Object.assign(new Error("no space"), { code: "ENOSPC" });
  await assert.rejects(
    disk.write("a file", async () => {
      throw full;
    }),
    DiskFullError,
  );
  disk.stop();
});

test("other errors pass through unchanged and do not mark the disk full", async () => {
  const { disk } = space();
  const other = new Error("constraint failed");
  assert.throws(
    () =>
      disk.write("x", () => {
        throw other;
      }),
    (error) => error === other,
  );
  assert.throws(
    () =>
      disk.attempt("x", () => {
        throw other;
      }),
    (error) => error === other,
  );
  await assert.rejects(
    disk.write("x", () => Promise.reject(other)),
    (error) => error === other,
  );
  assert.equal(disk.full, false);
  assert.equal(disk.warning, undefined);
});

test("attempt() gives undefined for a write lost to a full disk, the value otherwise", () => {
  const store = tinyStore();
  const { disk } = space();
  try {
    assert.equal(
      disk.attempt("a reply", () => 42),
      42,
    );
    assert.equal(disk.attempt("a reply", store.fill), undefined);
    assert.equal(disk.full, true);
  } finally {
    disk.stop();
    store.close();
  }
});

test("the episode ends by itself once there is room again, and a new one is logged again", () => {
  const { disk, log, setFree } = space({ bytes: 10, files: 100 });
  const full = Object.assign(new Error("no space"), { code: "ENOSPC" });
  let recovered = 0;
  disk.on("recovered", () => recovered++);
  disk.report(full, "a file");
  assert.equal(disk.check(), false, "10 bytes free is not room");
  setFree({ bytes: 5000, files: 0 });
  assert.equal(disk.check(), false, "no free inodes is not room either");
  setFree({ bytes: 5000, files: undefined });
  assert.equal(disk.check(), true);
  assert.equal(disk.full, false);
  assert.equal(disk.warning, undefined);
  assert.equal(recovered, 1);
  disk.report(full, "a file");
  assert.equal(log.errors().length, 2);
  disk.stop();
});
