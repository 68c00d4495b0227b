// Restores: a round trip gives back the same data and keeps what it replaced; archives with
// anything a backup never holds are refused before a byte is written; a store that is open
// (a running service) refuses the restore, while a killed one does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { InvalidBackupError } from "../../src/backup/read-archive.ts";
import { isMountPoint, restoreBackup } from "../../src/backup/restore.ts";
import { StoreInUseError } from "../../src/backup/store-lock.ts";
import { writeBackup } from "../../src/backup/write.ts";
import {
  addMessage,
  craftArchive,
  makeDataDir,
  manifestFor,
  messageTexts,
  snapshotFiles,
  tempDir,
  type CraftedEntry,
} from "./helpers.ts";

const notDatabase = (path: string) => path.startsWith("store/pincer.db");

async function backedUp(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const dataDir = join(dir, "data");
  makeDataDir(dataDir);
  chmodSync(dataDir, 0o750);
  const archive = join(dir, "backup.tar.gz");
  await writeBackup({ dataDir, output: archive });
  return { dir, dataDir, archive, files: snapshotFiles(dataDir, notDatabase) };
}

function changeEverything(dataDir: string): void {
  const db = openDb(join(dataDir, "store", "pincer.db"));
  addMessage(db, "written after the backup");
  db.close();
  writeFileSync(join(dataDir, "groups", "main", "CLAUDE.md"), "# Main\nforgotten\n");
  rmSync(join(dataDir, "groups", "main", "files"), { recursive: true });
  writeFileSync(join(dataDir, "groups", "main", "new.txt"), "new");
}

test("restore brings back the backed-up data and keeps the replaced directory beside it", async (t) => {
  const { dir, dataDir, archive, files } = await backedUp(t);
  changeEverything(dataDir);
  chmodSync(dataDir, 0o755);

  const result = await restoreBackup(archive, dataDir);
  assert.equal(result.manifest.files.length, files.size + 1);
  assert.deepEqual(snapshotFiles(dataDir, notDatabase), files);
  assert.deepEqual(messageTexts(dataDir), ["message 1", "message 2", "message 3"]);
  assert.equal(statSync(dataDir).mode & 0o777, 0o750, "DATA_DIR's own mode comes back too");
  assert.equal(statSync(join(dataDir, "admin-token")).mode & 0o777, 0o600);

  assert.match(result.previous!, /data\.before-restore-\d{8}T\d{6}Z$/);
  assert.equal(readFileSync(join(result.previous!, "groups", "main", "new.txt"), "utf8"), "new");
  assert.equal(messageTexts(result.previous!).at(-1), "written after the backup");
  // Nothing else is left next to DATA_DIR: the staging directory is gone.
  assert.deepEqual(readdirSync(dir).sort(), [
    "backup.tar.gz",
    "data",
    result.previous!.slice(dir.length + 1),
  ]);
});

test("restore into a DATA_DIR that does not exist yet creates it", async (t) => {
  const { dir, archive, files } = await backedUp(t);
  const fresh = join(dir, "new", "data");
  const result = await restoreBackup(archive, fresh);
  assert.equal(result.previous, undefined);
  assert.deepEqual(snapshotFiles(fresh, notDatabase), files);
  assert.deepEqual(messageTexts(fresh), ["message 1", "message 2", "message 3"]);
});

test("in-place restore (a mounted DATA_DIR) swaps the contents and keeps the old ones inside", async (t) => {
  const { dataDir, archive, files } = await backedUp(t);
  changeEverything(dataDir);

  const result = await restoreBackup(archive, dataDir, { inPlace: true });
  assert.match(result.previous!, /\/data\/\.before-restore-\d{8}T\d{6}Z$/);
  const isPrevious = (path: string) => path.startsWith(".before-restore-") || notDatabase(path);
  assert.deepEqual(snapshotFiles(dataDir, isPrevious), files);
  assert.deepEqual(messageTexts(dataDir), ["message 1", "message 2", "message 3"]);
  assert.equal(messageTexts(result.previous!).at(-1), "written after the backup");
  assert.equal(readdirSync(dataDir).filter((name) => name.startsWith(".restore-")).length, 0);

  // A second restore (within the same second) keeps the first one's leftovers where they are.
  const again = await restoreBackup(archive, dataDir, { inPlace: true });
  assert.notEqual(again.previous, result.previous);
  assert.equal(messageTexts(result.previous!).at(-1), "written after the backup");
  assert.deepEqual(
    readdirSync(again.previous!).filter((name) => name.startsWith(".")),
    [],
  );
  assert.deepEqual(messageTexts(dataDir), ["message 1", "message 2", "message 3"]);
});

test("a DATA_DIR that is a mount point is restored in place (bind mount: needs root)", async (t) => {
  const { dir, dataDir, archive, files } = await backedUp(t);
  const mountPoint = join(dir, "volume");
  mkdirSync(mountPoint);
  if (spawnSync("mount", ["--bind", dataDir, mountPoint]).status !== 0)
    return t.skip("bind mounts need root here");
  try {
    // Same device as its parent: only the mount table tells.
    assert.equal(statSync(mountPoint).dev, statSync(dir).dev);
    assert.equal(isMountPoint(mountPoint), true);
    assert.equal(isMountPoint(dataDir), false);
    changeEverything(mountPoint);
    const result = await restoreBackup(archive, mountPoint);
    assert.match(result.previous!, /\/volume\/\.before-restore-\d{8}T\d{6}Z$/);
    const isPrevious = (path: string) => path.startsWith(".before-restore-") || notDatabase(path);
    assert.deepEqual(snapshotFiles(mountPoint, isPrevious), files);
    assert.equal(messageTexts(result.previous!).at(-1), "written after the backup");
  } finally {
    spawnSync("umount", [mountPoint]);
  }
});

test("restore is refused while the store is open, and allowed after its process was killed", async (t) => {
  const { dataDir, archive } = await backedUp(t);
  const db = openDb(join(dataDir, "store", "pincer.db"));
  await assert.rejects(restoreBackup(archive, dataDir), StoreInUseError);
  db.close();

  // Another process that dies without closing (SIGKILL) leaves no lock behind.
  const holder = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { DatabaseSync } from "node:sqlite";
       const db = new DatabaseSync(process.argv[1]);
       db.exec("PRAGMA journal_mode = WAL; INSERT INTO settings VALUES ('k', 'v', 1)");
       process.stdout.write("open\\n");
       setInterval(() => {}, 1000);`,
      join(dataDir, "store", "pincer.db"),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise((resolve) => holder.once("exit", resolve));
  await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
  await assert.rejects(restoreBackup(archive, dataDir), /is in use: stop the Pincer service/);
  const untouched = readdirSync(join(dataDir, ".."));
  holder.kill("SIGKILL");
  await exited;
  assert.ok(untouched.every((name) => !name.includes("before-restore")));

  const result = await restoreBackup(archive, dataDir);
  assert.ok(result.previous);
  assert.deepEqual(messageTexts(dataDir), ["message 1", "message 2", "message 3"]);
});

test("a damaged store in DATA_DIR does not stand in the way of restoring over it", async (t) => {
  const { dataDir, archive } = await backedUp(t);
  writeFileSync(join(dataDir, "store", "pincer.db"), "this is not a database, not any more");
  rmSync(join(dataDir, "store", "pincer.db-wal"), { force: true });
  rmSync(join(dataDir, "store", "pincer.db-shm"), { force: true });
  await restoreBackup(archive, dataDir);
  assert.deepEqual(messageTexts(dataDir), ["message 1", "message 2", "message 3"]);
});

const manifest = (files: Record<string, string>): CraftedEntry => ({
  path: "manifest.json",
  body: manifestFor(files),
});

const hostile: [string, CraftedEntry[], RegExp][] = [
  [
    "a path with ..",
    [{ path: "data/../../escaped.txt", body: "x" }, manifest({ "../../escaped.txt": "x" })],
    /data\/\.\.\/\.\.\/escaped\.txt: leads outside the archive/,
  ],
  [
    "an absolute path",
    [{ path: "/tmp/pincer-absolute-escape.txt", body: "x" }, manifest({})],
    /\/tmp\/pincer-absolute-escape\.txt: absolute path/,
  ],
  [
    "a symbolic link",
    [{ path: "data/groups/main/evil", type: "SymbolicLink", linkpath: "/etc" }, manifest({})],
    /data\/groups\/main\/evil: SymbolicLink entries are refused/,
  ],
  [
    "a hard link",
    [{ path: "data/admin-token", type: "Link", linkpath: "/etc/passwd" }, manifest({})],
    /data\/admin-token: Link entries are refused/,
  ],
  [
    "a FIFO",
    [{ path: "data/pipe", type: "FIFO" }, manifest({})],
    /data\/pipe: FIFO entries are refused/,
  ],
  [
    "an entry outside data/",
    [{ path: "elsewhere.txt", body: "x" }, manifest({})],
    /elsewhere\.txt: outside data\//,
  ],
  [
    "no manifest",
    [{ path: "data/store/pincer.db", body: "x" }],
    /no manifest\.json \(not a Pincer backup, or cut short\)/,
  ],
  [
    "a file the manifest does not list",
    [
      { path: "data/store/pincer.db", body: "x" },
      { path: "data/smuggled", body: "y" },
      manifest({ "store/pincer.db": "x" }),
    ],
    /smuggled: in the archive but not in the manifest/,
  ],
  [
    "a size that differs from the manifest",
    [{ path: "data/store/pincer.db", body: "xx" }, manifest({ "store/pincer.db": "x" })],
    /store\/pincer\.db: 2 bytes, but the manifest says 1/,
  ],
  [
    "another program's manifest",
    [
      { path: "data/store/pincer.db", body: "x" },
      { path: "manifest.json", body: '{"a":1}' },
    ],
    /manifest\.json is not a Pincer backup manifest/,
  ],
  [
    "an entry twice",
    [
      { path: "data/store/pincer.db", body: "x" },
      { path: "data/store/pincer.db", body: "x" },
      manifest({ "store/pincer.db": "x" }),
    ],
    /data\/store\/pincer\.db: appears twice/,
  ],
];

for (const [what, entries, message] of hostile) {
  test(`an archive with ${what} is refused before anything is written`, async (t) => {
    const dir = tempDir(t);
    const dataDir = join(dir, "data");
    makeDataDir(dataDir);
    const before = snapshotFiles(dataDir);
    const archive = join(dir, "hostile.tar.gz");
    await craftArchive(archive, entries);
    await assert.rejects(restoreBackup(archive, dataDir), (error: Error) => {
      assert.ok(error instanceof InvalidBackupError, error.message);
      assert.match(error.message, message);
      return true;
    });
    assert.deepEqual(snapshotFiles(dataDir), before);
    assert.deepEqual(readdirSync(dir).sort(), ["data", "hostile.tar.gz"]);
    assert.equal(existsSync(join(dir, "escaped.txt")), false);
    assert.equal(existsSync("/tmp/pincer-absolute-escape.txt"), false);
  });
}

test("an archive cut short is refused", async (t) => {
  const { dir, dataDir, archive } = await backedUp(t);
  const whole = readFileSync(archive);
  const cut = join(dir, "cut.tar.gz");
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
  await assert.rejects(restoreBackup(cut, dataDir), InvalidBackupError);
  writeFileSync(cut, "not even gzip");
  await assert.rejects(restoreBackup(cut, dataDir), /cannot read it as tar\.gz/);
});

test("a backup whose database is damaged is refused and DATA_DIR is left as it was", async (t) => {
  const { dir, dataDir } = await backedUp(t);
  const body = "SQLite format 3\0 but nothing after";
  const archive = join(dir, "damaged.tar.gz");
  await craftArchive(archive, [
    { path: "data/", type: "Directory" },
    { path: "data/store/", type: "Directory" },
    { path: "data/store/pincer.db", body },
    manifest({ "store/pincer.db": body }),
  ]);
  const before = snapshotFiles(dataDir);
  await assert.rejects(restoreBackup(archive, dataDir), /database/);
  assert.deepEqual(snapshotFiles(dataDir), before);
  assert.deepEqual(readdirSync(dir).sort(), ["backup.tar.gz", "damaged.tar.gz", "data"]);
});
