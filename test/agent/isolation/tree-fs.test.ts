// The host's descriptor-only access to agent trees, on real files: links, FIFOs, hard links
// and folders swapped for links while a walk runs never lead it outside the tree.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ownTree,
  readTreeFile,
  TreeFileError,
  walkTree,
  writeTreeFile,
} from "../../../src/agent/isolation/tree-fs.ts";

const needsRoot = process.getuid?.() === 0 ? false : "needs root to change owners";

function tempTree(t: { after(fn: () => void): void }): { dir: string; tree: string } {
  const dir = mkdtempSync(join(tmpdir(), "pincer-treefs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, "tree");
  mkdirSync(tree);
  return { dir, tree };
}

describe("reading a file in an agent's tree", () => {
  it("reads a plain file, and says undefined for a missing one", async (t) => {
    const { tree } = tempTree(t);
    mkdirSync(join(tree, "sub"));
    writeFileSync(join(tree, "sub", "note.md"), "hello");
    const file = await readTreeFile(tree, "sub/note.md", 100);
    assert.equal(file?.data.toString(), "hello");
    assert.equal(await readTreeFile(tree, "sub/missing.md", 100), undefined);
    assert.equal(await readTreeFile(tree, "nowhere/x.md", 100), undefined);
  });

  it("refuses a link at the end or on the way, naming it", async (t) => {
    const { dir, tree } = tempTree(t);
    writeFileSync(join(dir, "secret"), "admin token");
    symlinkSync(join(dir, "secret"), join(tree, "CLAUDE.md"));
    await assert.rejects(readTreeFile(tree, "CLAUDE.md", 100), /CLAUDE.md is a symbolic link/);
    symlinkSync(dir, join(tree, "up"));
    await assert.rejects(readTreeFile(tree, "up/secret", 100), TreeFileError);
    symlinkSync("/proc/self/environ", join(tree, "environ"));
    await assert.rejects(readTreeFile(tree, "environ", 100_000), TreeFileError);
  });

  it("does not block on a FIFO, and refuses it", async (t) => {
    const { tree } = tempTree(t);
    execFileSync("mkfifo", [join(tree, "CLAUDE.md")]);
    await assert.rejects(readTreeFile(tree, "CLAUDE.md", 100), /not a regular file/);
    await assert.rejects(
      writeTreeFile(tree, "CLAUDE.md", "x", { exclusive: false }),
      /not a regular file/,
    );
  });

  it("refuses a file larger than asked for, and a second name of another file", async (t) => {
    const { dir, tree } = tempTree(t);
    writeFileSync(join(tree, "big"), "x".repeat(101));
    await assert.rejects(readTreeFile(tree, "big", 100), /more than the 100 allowed/);
    writeFileSync(join(dir, "host-file"), "host");
    linkSync(join(dir, "host-file"), join(tree, "hard"));
    await assert.rejects(readTreeFile(tree, "hard", 100), /hard link/);
  });
});

describe("writing a file in an agent's tree", () => {
  it("creates folders and the file, refuses to replace when exclusive", async (t) => {
    const { tree } = tempTree(t);
    await writeTreeFile(tree, "attachments/1-0-photo.jpg", new Uint8Array([1, 2, 3]), {
      exclusive: true,
    });
    assert.deepEqual([...readFileSync(join(tree, "attachments/1-0-photo.jpg"))], [1, 2, 3]);
    await assert.rejects(
      writeTreeFile(tree, "attachments/1-0-photo.jpg", "again", { exclusive: true }),
      /EEXIST/,
    );
    await writeTreeFile(tree, "attachments/1-0-photo.jpg", "new", { exclusive: false });
    assert.equal(readFileSync(join(tree, "attachments/1-0-photo.jpg"), "utf8"), "new");
  });

  it("never writes through a link the agent planted, at the end or on the way", async (t) => {
    const { dir, tree } = tempTree(t);
    const victim = join(dir, "victim");
    mkdirSync(victim);
    writeFileSync(join(victim, "CLAUDE.md"), "keep me");
    symlinkSync(join(victim, "CLAUDE.md"), join(tree, "CLAUDE.md"));
    await assert.rejects(
      writeTreeFile(tree, "CLAUDE.md", "overwritten", { exclusive: false }),
      TreeFileError,
    );
    symlinkSync(victim, join(tree, "attachments"));
    await assert.rejects(
      writeTreeFile(tree, "attachments/CLAUDE.md", "overwritten", { exclusive: false }),
      TreeFileError,
    );
    assert.equal(readFileSync(join(victim, "CLAUDE.md"), "utf8"), "keep me");
  });

  it("hands what it creates to the owner", { skip: needsRoot }, async (t) => {
    const { tree } = tempTree(t);
    await writeTreeFile(tree, "attachments/a.txt", "x", {
      exclusive: true,
      owner: { uid: 40_200, gid: 40_200 },
    });
    assert.equal(statSync(join(tree, "attachments")).uid, 40_200);
    assert.equal(statSync(join(tree, "attachments/a.txt")).uid, 40_200);
  });
});

describe("walking and owning a tree", () => {
  it("lists entries without entering linked folders", async (t) => {
    const { dir, tree } = tempTree(t);
    mkdirSync(join(tree, "a"));
    writeFileSync(join(tree, "a", "b.txt"), "b");
    writeFileSync(join(dir, "outside.txt"), "o");
    symlinkSync(dir, join(tree, "up"));
    const seen: string[] = [];
    await walkTree(tree, {
      entry: async ({ path }) => {
        seen.push(path);
      },
    });
    assert.deepEqual(seen, ["a", "a/b.txt", "up"]);
  });

  it(
    "owns everything but what links point to and hard-linked files",
    { skip: needsRoot },
    async (t) => {
      const { dir, tree } = tempTree(t);
      mkdirSync(join(tree, "sub"));
      writeFileSync(join(tree, "sub", "note.txt"), "x");
      const outside = join(dir, "outside.txt");
      writeFileSync(outside, "host file");
      symlinkSync(outside, join(tree, "link"));
      linkSync(outside, join(tree, "hardlink"));
      const changed = await ownTree(tree, { uid: 40_100, gid: 40_100 }, 0o700);
      assert.equal(statSync(join(tree, "sub", "note.txt")).uid, 40_100);
      assert.equal(statSync(join(tree, "sub")).uid, 40_100);
      assert.equal(statSync(outside).uid, 0, "not what a link points to, nor a hard link to it");
      assert.equal(statSync(tree).mode & 0o777, 0o700);
      assert.ok(changed.some((change) => change.path === "sub/note.txt"));
    },
  );

  it(
    "never leaves the tree while something swaps a folder for a link to the data directory",
    { skip: needsRoot },
    async (t) => {
      // The review's takeover: a survivor swaps a folder in its tree for a link to ../..
      // while root walks it. Here the swapping runs throughout many walks.
      const { dir, tree } = tempTree(t);
      chmodSync(dir, 0o755);
      const secret = join(dir, "admin-token");
      writeFileSync(secret, "token");
      mkdirSync(join(tree, "d"));
      writeFileSync(join(tree, "d", "f"), "x");
      const swapper = spawn(
        "/bin/sh",
        [
          "-c",
          `cd "$1"; while :; do mv d d.real 2>/dev/null; ln -s .. d 2>/dev/null; rm -f d; mv d.real d 2>/dev/null; done`,
          "sh",
          tree,
        ],
        { stdio: "ignore" },
      );
      t.after(() => swapper.kill("SIGKILL"));
      for (let round = 0; round < 200; round++) {
        await ownTree(tree, { uid: 40_300 + (round % 2), gid: 40_300 }, 0o700);
      }
      swapper.kill("SIGKILL");
      assert.equal(statSync(secret).uid, 0, "the file outside the tree never changed hands");
      assert.equal(statSync(dir).uid, 0);
    },
  );
});
