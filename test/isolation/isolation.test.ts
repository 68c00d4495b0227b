// The pieces of per-group isolation on real files and processes. Ownership changes and
// running processes as other uids need root; those tests skip with the reason otherwise.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
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
import { createLogger } from "../../src/log.ts";
import { dataPaths } from "../../src/agent/memory.ts";
import { AgentIsolation } from "../../src/agent/isolation/agent-isolation.ts";
import { limitedCommand } from "../../src/agent/isolation/limits.ts";
import { adoptTree, untraversableAncestors } from "../../src/agent/isolation/ownership.ts";
import { killProcessesOf, processesOf } from "../../src/agent/isolation/reaper.ts";
import { UnsafePathError, writeIntoTree } from "../../src/agent/isolation/safe-write.ts";
import { assignAgentUid, deleteGroup, insertGroup, type Group } from "../../src/store/groups.ts";
import { openTempStore } from "../unit/helpers.ts";

const root = process.getuid?.() === 0;
const needsRoot = root ? false : "needs root to change owners and run as other uids";
const silent = createLogger("fatal");
const LIMITS = { maxProcesses: 64, maxOpenFiles: 256, maxFileBytes: 1 << 20 };

function tempTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "pincer-iso-"));
  chmodSync(dir, 0o755);
  return dir;
}

function group(store: ReturnType<typeof openTempStore>, folder: string): Group {
  return insertGroup(
    store.db,
    {
      channel: "telegram",
      chatId: folder,
      folder,
      name: folder,
      trigger: "@Andy",
      requiresTrigger: true,
      isMain: false,
    },
    0,
  );
}

describe("uid assignment", () => {
  it("gives each group its own uid, skips uids the system uses, and keeps it", (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    const a = group(store, "a");
    const b = group(store, "b");
    const taken = (uid: number) => uid === 40_000;
    assert.equal(assignAgentUid(store.db, a.id, 40_000, taken), 40_001);
    assert.equal(assignAgentUid(store.db, b.id, 40_000, taken), 40_002);
    assert.equal(assignAgentUid(store.db, a.id, 40_000, taken), 40_001, "stable");
  });

  it("never gives a new group the uid of an unregistered one (it would own the old folder)", (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    const old = group(store, "old");
    assert.equal(
      assignAgentUid(store.db, old.id, 40_000, () => false),
      40_000,
    );
    deleteGroup(store.db, old.id);
    const next = group(store, "next");
    assert.equal(
      assignAgentUid(store.db, next.id, 40_000, () => false),
      40_001,
    );
  });
});

describe("isolation mode", () => {
  it("says plainly that isolation is directory-only when not root", (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    const isolation = new AgentIsolation({
      db: store.db,
      paths: dataPaths(store.dir),
      setting: "auto",
      uidBase: 40_000,
      limits: LIMITS,
      logger: silent,
      isRoot: false,
    });
    assert.equal(isolation.status.kind, "directory");
    assert.match(isolation.status.detail, /not running as root/);
    assert.equal(isolation.identityFor(group(store, "g")), undefined);
    assert.deepEqual(isolation.command("/bin/claude", ["-p"]), {
      command: "/bin/claude",
      args: ["-p"],
    });
  });

  it("names the folder that keeps agents' users from reaching DATA_DIR", (t) => {
    const outer = tempTree();
    t.after(() => rmSync(outer, { recursive: true, force: true }));
    const closed = join(outer, "closed");
    mkdirSync(join(closed, "data"), { recursive: true });
    chmodSync(closed, 0o700);
    assert.deepEqual(untraversableAncestors(join(closed, "data")), [closed]);
    const store = openTempStore();
    t.after(() => store.close());
    const isolation = new AgentIsolation({
      db: store.db,
      paths: dataPaths(join(closed, "data")),
      setting: "auto",
      uidBase: 40_000,
      limits: LIMITS,
      logger: silent,
      isRoot: true,
      prlimitPath: "/usr/bin/prlimit",
    });
    assert.equal(isolation.status.kind, "directory");
    assert.ok(isolation.status.detail.includes(`${closed} is not traversable`));
  });

  it("runs agent commands under prlimit with the configured limits", () => {
    assert.deepEqual(limitedCommand("/usr/bin/prlimit", LIMITS, "/bin/claude", ["--x"]), {
      command: "/usr/bin/prlimit",
      args: [
        "--nproc=64",
        "--nofile=256",
        "--fsize=1048576",
        "--core=0",
        "--",
        "/bin/claude",
        "--x",
      ],
    });
  });
});

describe("handing a tree to an agent user", { skip: needsRoot }, () => {
  it("changes owners without following links or touching hard-linked files", (t) => {
    const dir = tempTree();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const tree = join(dir, "tree");
    mkdirSync(join(tree, "sub"), { recursive: true });
    writeFileSync(join(tree, "sub", "note.txt"), "x");
    const outside = join(dir, "outside.txt");
    writeFileSync(outside, "host file");
    symlinkSync(outside, join(tree, "link"));
    linkSync(outside, join(tree, "hardlink"));
    adoptTree(tree, 40_100, 40_100, 0o700);
    assert.equal(statSync(join(tree, "sub", "note.txt")).uid, 40_100);
    assert.equal(statSync(join(tree, "sub")).uid, 40_100);
    assert.equal(lstatSync(join(tree, "link")).uid, 40_100, "the link itself");
    assert.equal(statSync(outside).uid, 0, "not what it points to, nor a hard link to it");
    assert.equal(statSync(tree).mode & 0o777, 0o700);
  });
});

describe("writing into an agent's tree", { skip: needsRoot }, () => {
  it("writes new files owned by the agent, creating owned folders", (t) => {
    const dir = tempTree();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeIntoTree(dir, "attachments/1-0-photo.jpg", new Uint8Array([1, 2, 3]), {
      exclusive: true,
      owner: { uid: 40_200, gid: 40_200 },
    });
    assert.equal(statSync(join(dir, "attachments")).uid, 40_200);
    assert.equal(statSync(join(dir, "attachments", "1-0-photo.jpg")).uid, 40_200);
    assert.throws(
      () => writeIntoTree(dir, "attachments/1-0-photo.jpg", "again", { exclusive: true }),
      /EEXIST/,
    );
  });

  it("refuses to write through a link the agent planted, at the end or on the way", (t) => {
    const dir = tempTree();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const tree = join(dir, "tree");
    const victim = join(dir, "victim");
    mkdirSync(tree);
    mkdirSync(victim);
    writeFileSync(join(victim, "CLAUDE.md"), "keep me");
    symlinkSync(join(victim, "CLAUDE.md"), join(tree, "CLAUDE.md"));
    assert.throws(
      () => writeIntoTree(tree, "CLAUDE.md", "overwritten", { exclusive: false }),
      UnsafePathError,
    );
    assert.equal(readFileSync(join(victim, "CLAUDE.md"), "utf8"), "keep me");
    symlinkSync(victim, join(tree, "attachments"));
    assert.throws(
      () => writeIntoTree(tree, "attachments/2-0-x.sh", "echo", { exclusive: true }),
      UnsafePathError,
    );
    assert.equal(existsSync(join(victim, "2-0-x.sh")), false, "nothing left where the link led");
  });
});

describe("reaping an agent's leftovers", { skip: needsRoot }, () => {
  it("kills every process of the uid, and only those", async () => {
    // A uid of its own for this run: nothing else on the machine runs as it.
    const uid = 41_000 + Math.floor(Math.random() * 8_000);
    const sleeper = spawn("/bin/sh", ["-c", "sleep 60 & sleep 60 & wait"], {
      uid,
      gid: uid,
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => sleeper.on("exit", resolve));
    for (let i = 0; i < 200 && processesOf(uid).length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(processesOf(uid).length >= 3, "the shell and its two sleeps run");
    assert.ok(killProcessesOf(uid) >= 3);
    await exited;
    assert.deepEqual(processesOf(uid), []);
    assert.ok(processesOf(0).includes(process.pid), "the host is untouched");
  });

  it("reaps when the last claim on a uid is released, not before", async (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    chmodSync(store.dir, 0o755);
    const isolation = new AgentIsolation({
      db: store.db,
      paths: dataPaths(store.dir),
      setting: "auto",
      uidBase: 40_400,
      limits: LIMITS,
      logger: silent,
    });
    assert.equal(isolation.status.kind, "users");
    const g = group(store, "g");
    const prepare = () => mkdirSync(join(store.dir, "groups", "g"), { recursive: true });
    mkdirSync(join(store.dir, "agents", "g"), { recursive: true });
    const first = isolation.acquire(g, prepare);
    const second = isolation.acquire(g, prepare);
    const uid = first.identity!.uid;
    assert.equal(statSync(join(store.dir, "groups", "g")).uid, uid);
    const child = spawn("sleep", ["60"], { uid, gid: uid, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    first.release();
    assert.equal(processesOf(uid).length, 1, "another claim still holds the uid");
    second.release();
    await exited;
    assert.deepEqual(processesOf(uid), []);
  });
});
