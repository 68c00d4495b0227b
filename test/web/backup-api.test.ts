// GET /api/backup streams the archive of a data directory whose store is open and in use.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { readArchive } from "../../src/backup/read-archive.ts";
import { restoreBackup } from "../../src/backup/restore.ts";
import { backupRoutes } from "../../src/web/backup-api.ts";
import { addMessage, makeDataDir, messageTexts, tempDir } from "../backup/helpers.ts";

test("GET /api/backup streams a restorable archive of the running store", async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, "data");
  makeDataDir(dataDir);
  const db = openDb(join(dataDir, "store", "pincer.db"));
  t.after(() => {
    if (db.isOpen) db.close();
  });
  addMessage(db, "only in the WAL so far");
  const app = backupRoutes({ db, dataDir });

  const response = await app.request("/api/backup");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/gzip");
  assert.match(
    response.headers.get("content-disposition") ?? "",
    /^attachment; filename="pincer-backup-\d{8}T\d{6}Z\.tar\.gz"$/,
  );
  const archive = join(dir, "download.tar.gz");
  writeFileSync(archive, Buffer.from(await response.arrayBuffer()));
  const { manifest } = await readArchive(archive);
  assert.ok(manifest.files.some((file) => file.path === "groups/main/CLAUDE.md"));

  db.close();
  await restoreBackup(archive, dataDir);
  assert.deepEqual(messageTexts(dataDir), [
    "message 1",
    "message 2",
    "message 3",
    "only in the WAL so far",
  ]);
});
