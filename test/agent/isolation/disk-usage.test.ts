// du and find really run, as the agent: on a temp tree without isolation (the service's own
// user) and, as root, with a spare uid that owns the tree.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureTrees, pruneAttachments } from "../../../src/agent/isolation/disk-usage.ts";
import type { AgentIdentity } from "../../../src/agent/isolation/as-agent.ts";

const KIB = 1024;
const DAY_S = 24 * 60 * 60;
const isRoot = process.getuid?.() === 0;

/** A group folder and an agent home with known contents, owned by `owner` when given. */
function makeTree(owner: AgentIdentity | undefined) {
  const root = mkdtempSync(join(tmpdir(), "pincer-du-"));
  chmodSync(root, 0o711);
  const group = join(root, "groups", "g");
  const home = join(root, "agents", "g");
  mkdirSync(join(group, "attachments"), { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(group, "notes.bin"), Buffer.alloc(100 * KIB, 1));
  writeFileSync(join(home, "cache.bin"), Buffer.alloc(50 * KIB, 1));
  // Sparse: a terabyte by its length, nothing on disk.
  writeFileSync(join(group, "sparse.bin"), "");
  truncateSync(join(group, "sparse.bin"), 2 ** 40);
  const old = Date.now() / 1000 - 100 * DAY_S;
  writeFileSync(join(group, "attachments", "1-0-old.jpg"), "old");
  utimesSync(join(group, "attachments", "1-0-old.jpg"), old, old);
  writeFileSync(join(group, "attachments", "2-0-new.jpg"), "new");
  // Outside the group's tree: an old file the agent points a link at.
  const outside = join(root, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "precious.txt"), "keep me");
  utimesSync(join(outside, "precious.txt"), old, old);
  symlinkSync(join(outside, "precious.txt"), join(group, "attachments", "3-0-link.txt"));
  if (owner) {
    for (const path of [
      group,
      home,
      join(group, "attachments"),
      join(group, "notes.bin"),
      join(group, "sparse.bin"),
      join(home, "cache.bin"),
      join(group, "attachments", "1-0-old.jpg"),
      join(group, "attachments", "2-0-new.jpg"),
    ])
      chownSync(path, owner.uid, owner.gid);
    lchownSync(join(group, "attachments", "3-0-link.txt"), owner.uid, owner.gid);
  }
  return { root, group, home, outside };
}

function inRange(bytes: number | undefined, low: number, high: number): boolean {
  return bytes !== undefined && bytes >= low && bytes <= high;
}

describe("measuring and pruning without isolation", () => {
  let tree: ReturnType<typeof makeTree>;
  before(() => {
    tree = makeTree(undefined);
  });
  after(() => rmSync(tree.root, { recursive: true, force: true }));

  it("counts what both trees take on disk (a sparse file nearly nothing), an absent one as 0", async () => {
    const bytes = await measureTrees(undefined, [tree.group, tree.home, join(tree.root, "none")]);
    assert.ok(inRange(bytes, 150 * KIB, 250 * KIB), `measured ${bytes}`);
  });

  it("deletes attachments older than the retention, not newer ones, not through a link", async () => {
    assert.equal(await pruneAttachments(undefined, tree.group, 90), 1);
    assert.equal(existsSync(join(tree.group, "attachments", "1-0-old.jpg")), false);
    assert.equal(existsSync(join(tree.group, "attachments", "2-0-new.jpg")), true);
    assert.equal(existsSync(join(tree.outside, "precious.txt")), true);
  });

  it("does not follow an attachments folder replaced by a link", async () => {
    const group = join(tree.root, "groups", "linked");
    mkdirSync(group);
    symlinkSync(tree.outside, join(group, "attachments"));
    assert.equal(await pruneAttachments(undefined, group, 1), 0);
    assert.equal(existsSync(join(tree.outside, "precious.txt")), true);
  });

  it("a group without attachments or without a folder prunes nothing", async () => {
    assert.equal(await pruneAttachments(undefined, tree.home, 1), 0);
    assert.equal(await pruneAttachments(undefined, join(tree.root, "none"), 1), 0);
  });
});

describe(
  "measuring and pruning as the group's own uid",
  { skip: isRoot ? false : "needs root to run as another uid" },
  () => {
    const agent = { uid: 2_900_000 + Math.floor(Math.random() * 1000), gid: 2_900_000 };
    let tree: ReturnType<typeof makeTree>;
    before(() => {
      tree = makeTree(agent);
      // Something only root may read, inside the agent's folder: measured as the agent,
      // it is not counted (as root it would be).
      const hidden = join(tree.group, "root-only");
      mkdirSync(hidden, { mode: 0o700 });
      writeFileSync(join(hidden, "big.bin"), Buffer.alloc(400 * KIB, 1));
    });
    after(() => rmSync(tree.root, { recursive: true, force: true }));

    it("measures with the agent's permissions", async () => {
      const bytes = await measureTrees(agent, [tree.group, tree.home]);
      assert.ok(inRange(bytes, 150 * KIB, 250 * KIB), `measured ${bytes}`);
      const asRoot = await measureTrees(undefined, [tree.group, tree.home]);
      assert.ok(inRange(asRoot, 550 * KIB, 650 * KIB), `as root ${asRoot}`);
    });

    it("prunes the agent's old attachments as the agent", async () => {
      // A folder only root may enter: as root its old file would go, as the agent it stays.
      const rootOnly = join(tree.group, "attachments", "private");
      mkdirSync(rootOnly, { mode: 0o700 });
      const rootsOld = join(rootOnly, "0-0-root.jpg");
      writeFileSync(rootsOld, "root's");
      const old = Date.now() / 1000 - 100 * DAY_S;
      utimesSync(rootsOld, old, old);
      assert.equal(await pruneAttachments(agent, tree.group, 90), 1);
      assert.equal(existsSync(join(tree.group, "attachments", "1-0-old.jpg")), false);
      assert.equal(existsSync(join(tree.group, "attachments", "2-0-new.jpg")), true);
      assert.equal(existsSync(rootsOld), true);
      assert.equal(existsSync(join(tree.outside, "precious.txt")), true);
    });
  },
);
