// Backups of real data directories: consistent while another process writes, complete,
// and without what must not travel (live database files, links, sockets, caches).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { extract } from "tar";
import { openDb } from "../../src/store/db.ts";
import { migrations } from "../../src/store/migrations.ts";
import { readArchive } from "../../src/backup/read-archive.ts";
import { openBackup, writeBackup } from "../../src/backup/write.ts";
import { makeDataDir, messageTexts, snapshotFiles, tempDir } from "./helpers.ts";

const WRITER = fileURLToPath(new URL("./ledger-writer.ts", import.meta.url));

function ledgerState(file: string): { rows: number; total: number; integrity: string } {
  const db = openDb(file);
  try {
    const rows = (db.prepare("SELECT COUNT(*) AS n FROM ledger").get() as { n: number }).n;
    const total = (db.prepare("SELECT n FROM ledger_total").get() as { n: number }).n;
    const integrity = (db.prepare("PRAGMA integrity_check").get() as { integrity_check: string })
      .integrity_check;
    return { rows, total, integrity };
  } finally {
    db.close();
  }
}

test("a backup taken while another process writes holds a consistent store", async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, "data");
  makeDataDir(dataDir);
  const store = join(dataDir, "store", "pincer.db");
  const db = openDb(store);
  t.after(() => db.close());
  db.exec(`CREATE TABLE ledger (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
           CREATE TABLE ledger_total (n INTEGER NOT NULL);
           INSERT INTO ledger_total VALUES (0);`);
  // Enough pages that copying them takes a while next to the writer.
  db.exec("BEGIN");
  for (let i = 0; i < 5000; i++) {
    db.prepare("INSERT INTO ledger (payload) VALUES (?)").run("y".repeat(300));
    db.exec("UPDATE ledger_total SET n = n + 1");
  }
  db.exec("COMMIT");

  const writer = spawn(process.execPath, [WRITER, store], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => writer.once("exit", resolve));
  t.after(async () => {
    writer.kill("SIGKILL");
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    writer.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("writing")) resolve();
    });
    writer.once("exit", (code) => reject(new Error(`writer exited early (${code})`)));
  });

  // Offline mode: a connection of its own, beside another process's writes.
  const ownConnection = join(dir, "own.tar.gz");
  await writeBackup({ dataDir, output: ownConnection });
  writer.kill("SIGKILL");
  await exited;

  // Service mode: the caller's own connection, which keeps writing between the copy's steps.
  const bump = () => {
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO ledger (payload) VALUES (?)").run("z");
    db.exec("UPDATE ledger_total SET n = n + 1");
    db.exec("COMMIT");
  };
  const interleaved = setInterval(bump, 1);
  const serviceConnection = join(dir, "service.tar.gz");
  try {
    await writeBackup({ dataDir, db, output: serviceConnection });
  } finally {
    clearInterval(interleaved);
  }

  for (const archive of [ownConnection, serviceConnection]) {
    const out = join(dir, `out-${archive.endsWith("own.tar.gz") ? "own" : "service"}`);
    mkdirSync(out);
    await extract({ file: archive, cwd: out });
    const state = ledgerState(join(out, "data", "store", "pincer.db"));
    assert.equal(state.integrity, "ok");
    assert.ok(state.rows >= 5000, `${state.rows} rows`);
    assert.equal(state.rows, state.total, "every transaction is in the copy whole or not at all");
    const names = readdirSync(join(out, "data", "store"));
    assert.deepEqual(names.filter((name) => name.startsWith("pincer.db")).sort(), ["pincer.db"]);
  }
});

test("the archive holds DATA_DIR's files and a manifest, and leaves out links, sockets and caches", async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, "data");
  makeDataDir(dataDir);
  symlinkSync("/etc/passwd", join(dataDir, "groups", "main", "passwd-link"));
  mkdirSync(join(dataDir, "agents", "main", ".cache", "pip"), { recursive: true });
  writeFileSync(join(dataDir, "agents", "main", ".cache", "pip", "blob"), "cached");
  mkdirSync(join(dataDir, ".before-restore-20250101T000000Z"));
  const socket = createServer();
  await new Promise<void>((resolve) =>
    socket.listen(join(dataDir, "groups", "main", "agent.sock"), resolve),
  );
  t.after(() => socket.close());

  const archive = join(dir, "backup.tar.gz");
  const manifest = await writeBackup({ dataDir, output: archive });
  assert.equal(manifest.format, "pincer-backup");
  assert.equal(manifest.version, 1);
  assert.equal(manifest.schemaVersion, migrations.at(-1)!.version);
  assert.ok(!Number.isNaN(Date.parse(manifest.createdAt)));
  const paths = manifest.files.map((file) => file.path).sort();
  assert.deepEqual(paths, [
    "admin-token",
    "agents/main/.claude/transcript.jsonl",
    "groups/global/CLAUDE.md",
    "groups/main/CLAUDE.md",
    "groups/main/files/notes.bin",
    "store/channels/whatsapp/creds.json",
    "store/pincer.db",
  ]);
  const skipped = Object.fromEntries(manifest.skipped.map((entry) => [entry.path, entry.reason]));
  assert.equal(skipped[".before-restore-20250101T000000Z"], "left by an earlier restore");
  assert.equal(skipped["agents/main/.cache"], "cache");
  assert.equal(skipped["groups/main/passwd-link"], "symbolic link");
  assert.equal(skipped["groups/main/agent.sock"], "socket");

  const contents = await readArchive(archive);
  assert.equal(contents.files.size, paths.length);
  assert.equal(contents.files.get("groups/main/files/notes.bin"), 70_000);

  const out = join(dir, "out");
  mkdirSync(out);
  await extract({ file: archive, cwd: out });
  const original = snapshotFiles(dataDir, (path) => path.startsWith("store/pincer.db"));
  const restored = snapshotFiles(join(out, "data"), (path) => path === "store/pincer.db");
  for (const [path, body] of restored) assert.equal(body, original.get(path), path);
  assert.deepEqual(messageTexts(join(out, "data")), ["message 1", "message 2", "message 3"]);
});

test("a failed backup leaves no archive behind", async (t) => {
  const dir = tempDir(t);
  const output = join(dir, "backup.tar.gz");
  await assert.rejects(
    writeBackup({ dataDir: join(dir, "not-a-data-dir"), output }),
    /has no store\/pincer\.db: is it a Pincer data directory\?/,
  );
  assert.equal(existsSync(output), false);
  assert.equal(existsSync(`${output}.partial`), false);
});

test("a reader that stops half way (a dropped download) ends the backup and its staging", async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, "data");
  makeDataDir(dataDir);
  writeFileSync(join(dataDir, "groups", "main", "files", "big.bin"), randomBytes(4 * 1024 * 1024));
  const staging = join(dir, "tmp");
  mkdirSync(staging);
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  t.after(() => {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
  });

  const archive = await openBackup({ dataDir });
  assert.equal(readdirSync(staging).length, 1, "the store snapshot is staged");
  const reader = archive.stream.getReader();
  const first = await reader.read();
  assert.ok(first.value && first.value.length > 0);
  await reader.cancel();
  await assert.rejects(archive.manifest);
  assert.deepEqual(readdirSync(staging), []);
});

test("a folder swapped for a link to DATA_DIR, or a file for a FIFO, after the walk gets nothing of the host's into a backup", async (t) => {
  // The review's case: between the walk and the read, a folder of the agent's tree became a
  // link to ../.. (2 of 6 downloads then held admin-token), or a file became a FIFO (which
  // parked a thread-pool thread for good). The reader pauses the backup inside big.bin,
  // after the walk and before the files that sort after it, and the agent swaps then.
  const dir = tempDir(t);
  const dataDir = join(dir, "data");
  makeDataDir(dataDir);
  const main = join(dataDir, "groups", "main");
  writeFileSync(join(main, "big.bin"), randomBytes(8 * 1024 * 1024));
  writeFileSync(join(main, "files", "admin-token"), "decoy\n");
  writeFileSync(join(main, "pipe"), "a plain file at walk time\n");
  const archive = await openBackup({ dataDir });
  const reader = archive.stream.getReader();
  const chunks: Uint8Array[] = [];
  const first = await reader.read();
  chunks.push(first.value!);
  renameSync(join(main, "files"), join(main, "files.real"));
  symlinkSync("../..", join(main, "files"));
  rmSync(join(main, "pipe"));
  execFileSync("mkfifo", [join(main, "pipe")]);
  let hung: NodeJS.Timeout | undefined;
  const drained = (async () => {
    for (;;) {
      const next = await reader.read();
      if (next.done) return;
      chunks.push(next.value);
    }
  })();
  await Promise.race([
    drained,
    new Promise((_, reject) => {
      hung = setTimeout(() => reject(new Error("the backup hung on the FIFO")), 60_000);
    }),
  ]).finally(() => clearTimeout(hung));
  const manifest = await archive.manifest;
  const output = join(dir, "backup.tar.gz");
  writeFileSync(output, Buffer.concat(chunks));
  const contents = await readArchive(output);
  assert.ok(contents.files.has("admin-token"), "the host's own token is backed up as itself");
  assert.ok(
    !manifest.files.some((file) => file.path === "groups/main/files/admin-token"),
    "nothing is read through the link",
  );
  assert.ok(!manifest.files.some((file) => file.path === "groups/main/pipe"));
  assert.ok(manifest.skipped.some((entry) => entry.path === "groups/main/pipe"));
});
