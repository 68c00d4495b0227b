// Reading and writing a CLAUDE.md from the admin UI without following links or blocking.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMemory, writeMemory } from "../../src/web/memory-file.ts";
import { TreeFileError } from "../../src/agent/isolation/tree-fs.ts";

describe("memory file", () => {
  const root = mkdtempSync(join(tmpdir(), "pincer-memory-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("reads a missing file as empty and writes a new one, versioned by content", async () => {
    const dir = join(root, "new-group");
    const empty = await readMemory(dir);
    assert.deepEqual([empty.content, empty.updatedAt], ["", null]);
    const written = await writeMemory(dir, "# Notes\n");
    assert.equal(readFileSync(join(dir, "CLAUDE.md"), "utf8"), "# Notes\n");
    assert.notEqual(written.version, empty.version);
    assert.equal((await readMemory(dir)).version, written.version);
    const shorter = await writeMemory(dir, "shorter");
    assert.equal(shorter.content, "shorter", "replaces, not appends");
  });

  it("neither reads nor writes through a symbolic link", async () => {
    const dir = join(root, "linked");
    mkdirSync(dir);
    const outside = join(root, "secret.txt");
    writeFileSync(outside, "host secret");
    symlinkSync(outside, join(dir, "CLAUDE.md"));
    await assert.rejects(readMemory(dir), TreeFileError);
    await assert.rejects(writeMemory(dir, "overwritten"), TreeFileError);
    assert.equal(readFileSync(outside, "utf8"), "host secret");
  });

  it("answers at once when the file is a FIFO, instead of waiting for a writer", async () => {
    const dir = join(root, "fifo");
    mkdirSync(dir);
    execFileSync("mkfifo", [join(dir, "CLAUDE.md")]);
    await assert.rejects(readMemory(dir), /not a regular file/);
    await assert.rejects(writeMemory(dir, "x"), /not a regular file/);
  });
});
