// pincer backup (downloaded from the service, or read from --data-dir) and pincer restore.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/store/db.ts";
import { writeBackup } from "../../src/backup/write.ts";
import { makeDataDir, messageTexts } from "../backup/helpers.ts";
import { cli, startFakeApi, TOKEN, type FakeApi } from "./fake-api.ts";

describe("pincer backup and restore", () => {
  let api: FakeApi;
  let archive: Buffer;
  const dir = mkdtempSync(join(tmpdir(), "pincer-cli-backup-"));
  const dataDir = join(dir, "data");
  const env = () => ({ PINCER_URL: api.url, PINCER_TOKEN: TOKEN, DATA_DIR: dataDir });
  let served: () => Buffer;

  before(async () => {
    makeDataDir(dataDir);
    await writeBackup({ dataDir, output: join(dir, "made.tar.gz") });
    archive = readFileSync(join(dir, "made.tar.gz"));
    api = await startFakeApi();
    api.routes.set("GET /api/backup", (_req, res) => {
      res.writeHead(200, { "content-type": "application/gzip" });
      res.end(served());
    });
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("downloads the service's backup, checks it and names the file", async () => {
    served = () => archive;
    const output = join(dir, "downloaded.tar.gz");
    const run = await cli(["backup", "--output", output], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(readFileSync(output).equals(archive));
    assert.match(
      run.stdout,
      /^Backup written to .*downloaded\.tar\.gz \(\d+\.\d KB; 7 files, \d+\.\d KB before compression\)\.\n$/,
    );
    const again = await cli(["backup", "-o", output], { env: env() });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /downloaded\.tar\.gz already exists: choose another --output/);
  });

  it("names the file after the time by default, in the working directory", async () => {
    served = () => archive;
    const cwd = mkdtempSync(join(dir, "cwd-"));
    const run = await cli(["backup"], { env: env(), cwd });
    assert.equal(run.code, 0, run.stderr);
    assert.match(readdirSync(cwd).join(), /^pincer-backup-\d{8}T\d{6}Z\.tar\.gz$/);
  });

  it("a download cut short fails and leaves no file", async () => {
    served = () => archive.subarray(0, Math.floor(archive.length / 2));
    const output = join(dir, "cut.tar.gz");
    const run = await cli(["backup", "--output", output], { env: env() });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the backup download failed: .* is not a usable Pincer backup/);
    assert.equal(existsSync(output), false);
    assert.equal(existsSync(`${output}.partial`), false);
  });

  it("--output - writes the archive to standard output", async () => {
    served = () => archive;
    const run = await cli(["backup", "--output", "-"], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdoutBytes.equals(archive));
  });

  it("--data-dir backs the directory up without the service", async () => {
    const output = join(dir, "offline.tar.gz");
    const run = await cli(["backup", "--data-dir", dataDir, "--output", output, "--json"], {
      env: { PINCER_URL: "http://127.0.0.1:9" },
    });
    assert.equal(run.code, 0, run.stderr);
    const { file, manifest } = JSON.parse(run.stdout) as {
      file: string;
      manifest: { files: unknown[] };
    };
    assert.equal(file, output);
    assert.equal(manifest.files.length, 7);
    const usage = await cli(["backup", "--data-dir", dataDir, "--output", "-"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--output - needs the service: drop --data-dir/);
  });

  it("restore replaces DATA_DIR, says where the old data went, and refuses while in use", async () => {
    const file = join(dir, "made.tar.gz");
    const db = openDb(join(dataDir, "store", "pincer.db"));
    const busy = await cli(["restore", file], { env: { DATA_DIR: dataDir } });
    db.close();
    assert.equal(busy.code, 1);
    assert.match(
      busy.stderr,
      /^pincer: restore refused: .*pincer\.db is in use: stop the Pincer service/,
    );

    const run = await cli(["restore", file, "--data-dir", dataDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Restored the backup of \d{4}-\d\d-\d\dT[\d:.]+Z \(7 files, /);
    assert.match(
      run.stdout,
      /The data it replaced is kept in .*data\.before-restore-\d{8}T\d{6}Z\./,
    );
    assert.deepEqual(messageTexts(dataDir), ["message 1", "message 2", "message 3"]);

    const json = await cli(["restore", "made.tar.gz", "--json"], {
      env: { DATA_DIR: dataDir },
      cwd: dir,
    });
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { dataDir: string }).dataDir, dataDir);
  });

  it("restore refuses what is not a backup and wrong command lines", async () => {
    const missing = await cli(["restore", join(dir, "nope.tar.gz")], {
      env: { DATA_DIR: dataDir },
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file: .*nope\.tar\.gz/);
    const invalid = await cli(["restore", join(dir, "data", "admin-token")], {
      env: { DATA_DIR: dataDir },
    });
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /restore refused: .*admin-token is not a usable Pincer backup/);
    const none = await cli(["restore"], { env: { DATA_DIR: dataDir } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /restore needs exactly one backup FILE\n\nUsage: pincer restore/);
  });
});
