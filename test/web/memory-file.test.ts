// Reading and writing a CLAUDE.md from the admin UI without following links.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryLinkError, readMemory, writeMemory } from "../../src/web/memory-file.ts";
import { UnsafePathError } from "../../src/agent/isolation/safe-write.ts";

describe("memory file", () => {
  const root = mkdtempSync(join(tmpdir(), "pincer-memory-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("reads a missing file as empty and writes a new one, versioned by content", () => {
    const dir = join(root, "new-group");
    const empty = readMemory(dir);
    assert.deepEqual([empty.content, empty.updatedAt], ["", null]);
    const written = writeMemory(dir, "# Notes\n");
    assert.equal(readFileSync(join(dir, "CLAUDE.md"), "utf8"), "# Notes\n");
    assert.notEqual(written.version, empty.version);
    assert.equal(readMemory(dir).version, written.version);
    assert.equal(writeMemory(dir, "shorter").content, "shorter", "replaces, not appends");
  });

  it("neither reads nor writes through a symbolic link", () => {
    const dir = join(root, "linked");
    mkdirSync(dir);
    const outside = join(root, "secret.txt");
    writeFileSync(outside, "host secret");
    symlinkSync(outside, join(dir, "CLAUDE.md"));
    assert.throws(() => readMemory(dir), MemoryLinkError);
    assert.throws(() => writeMemory(dir, "overwritten"), UnsafePathError);
    assert.equal(readFileSync(outside, "utf8"), "host secret");
  });
});
