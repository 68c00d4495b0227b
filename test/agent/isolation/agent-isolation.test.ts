// The pieces of per-group isolation on real files and processes. Ownership changes and
// running processes as other uids need root; those tests skip with the reason otherwise.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
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
import { createLogger } from "../../../src/log.ts";
import { prepareGroupFiles } from "../../../src/agent/memory.ts";
import { dataPaths } from "../../../src/data-layout.ts";
import { AgentIsolation } from "../../../src/agent/isolation/agent-isolation.ts";
import { limitedCommand } from "../../../src/agent/isolation/limits.ts";
import {
  reclaimHostFiles,
  untraversableAncestors,
} from "../../../src/agent/isolation/ownership.ts";
import { processesOf } from "../../../src/agent/isolation/reaper.ts";
import { assignAgentUid, deleteGroup, insertGroup, type Group } from "../../../src/store/groups.ts";
import { openTempStore } from "../../helpers/store.ts";
import { waitFor } from "../../helpers/wait.ts";

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

/** A uid of its own for this run: nothing else on the machine runs as it. */
function spareUidBase(): number {
  return 41_000 + Math.floor(Math.random() * 8_000) * 4;
}

function rootIsolation(store: ReturnType<typeof openTempStore>, uidBase: number): AgentIsolation {
  chmodSync(store.dir, 0o755);
  return new AgentIsolation({
    db: store.db,
    paths: dataPaths(store.dir),
    setting: "auto",
    uidBase,
    limits: LIMITS,
    logger: silent,
  });
}

/** A group whose user was claimed once, its files prepared as the agent (Andy's templates). */
async function preparedGroup(t: { after(fn: () => void): void }) {
  const store = openTempStore();
  t.after(() => store.close());
  const isolation = rootIsolation(store, spareUidBase());
  const g = group(store, "g");
  const lease = isolation.acquire(g, (identity) =>
    prepareGroupFiles(dataPaths(store.dir), g, identity, "Andy", undefined),
  );
  await lease.ready;
  return { store, isolation, g, lease, uid: lease.identity!.uid };
}

describe("claiming a group's user", { skip: needsRoot }, () => {
  it("gives the group its folder and home, prepared as the agent", async (t) => {
    const { store, lease, uid } = await preparedGroup(t);
    for (const path of ["groups/g", "groups/g/CLAUDE.md", "agents/g/.claude", "agents/g/tmp"])
      assert.equal(statSync(join(store.dir, path)).uid, uid, path);
    assert.equal(statSync(join(store.dir, "groups/g")).mode & 0o777, 0o700);
    assert.match(readFileSync(join(store.dir, "groups/g/CLAUDE.md"), "utf8"), /Memory of Andy/);
    lease.release();
  });

  it("hands over a tree the host made (a restore) without following a link in it", async (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    const isolation = rootIsolation(store, spareUidBase());
    const g = group(store, "g");
    const tree = join(store.dir, "groups", "g");
    mkdirSync(join(tree, "notes"), { recursive: true });
    writeFileSync(join(tree, "notes", "a.txt"), "a");
    symlinkSync(join(store.dir, "store"), join(tree, "escape"));
    const lease = isolation.acquire(g, async () => undefined);
    await lease.ready;
    const uid = lease.identity!.uid;
    assert.equal(statSync(join(tree, "notes", "a.txt")).uid, uid);
    assert.equal(statSync(join(store.dir, "store")).uid, 0, "the link's target stays the host's");
    lease.release();
  });

  it("reaps when the last claim on a uid is released, not before", async (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    const isolation = rootIsolation(store, spareUidBase());
    assert.equal(isolation.status.kind, "users");
    const g = group(store, "g");
    const first = isolation.acquire(g, async () => undefined);
    const second = isolation.acquire(g, async () => undefined);
    await Promise.all([first.ready, second.ready]);
    const uid = first.identity!.uid;
    const child = spawn("sleep", ["60"], { uid, gid: uid, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await waitFor(async () => (await processesOf(uid)).length === 1, "the sleep to run");
    first.release();
    assert.equal((await processesOf(uid)).length, 1, "another claim still holds the uid");
    second.release();
    await exited;
    await waitFor(async () => (await processesOf(uid)).length === 0, "the uid to run nothing");
    assert.deepEqual(await processesOf(uid), []);
  });

  it("a new claim starts only once nothing an earlier one left of the uid runs", async (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    const isolation = rootIsolation(store, spareUidBase());
    const g = group(store, "g");
    const uid = isolation.identityFor(g)!.uid;
    // Left over from before this start (an earlier service run): the first claim kills it.
    const stray = spawn("sleep", ["60"], { uid, gid: uid, stdio: "ignore" });
    const exited = new Promise((resolve) => stray.on("exit", resolve));
    await waitFor(async () => (await processesOf(uid)).length === 1, "the stray sleep to run");
    const lease = isolation.acquire(g, async () => {
      assert.deepEqual(await processesOf(uid), [], "prepare runs with no process of the uid");
    });
    await lease.ready;
    await exited;
    lease.release();
  });

  it("retires an unregistered group's user: its processes stop and its files go back to root", async (t) => {
    const { store, isolation, g, lease, uid } = await preparedGroup(t);
    const child = spawn("sleep", ["60"], { uid, gid: uid, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    deleteGroup(store.db, g.id);
    await isolation.retire({ ...g, agentUid: uid });
    await exited;
    assert.equal(statSync(join(store.dir, "groups/g/CLAUDE.md")).uid, 0);
    assert.equal(statSync(join(store.dir, "agents/g")).uid, 0);
    lease.release();
  });

  it("retires the group's MCP user too: its servers stop and their home goes back to root", async (t) => {
    const { store, isolation, g, lease, uid } = await preparedGroup(t);
    const mcp = isolation.mcpIdentityFor(g)!;
    assert.notEqual(mcp.uid, uid, "stdio MCP servers do not run as the agent");
    await isolation.ensureOwnDir(join(store.dir, "mcp/g"), mcp);
    const child = spawn("sleep", ["60"], { uid: mcp.uid, gid: mcp.gid, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    deleteGroup(store.db, g.id);
    await isolation.retire({ ...g, agentUid: uid });
    await exited;
    assert.equal(statSync(join(store.dir, "mcp/g")).uid, 0);
    lease.release();
  });
});

describe("taking back what only the host may own", { skip: needsRoot }, () => {
  it("restores the owner of the store, the token and the shared memory, and says what was wrong", async (t) => {
    const store = openTempStore();
    t.after(() => store.close());
    const paths = dataPaths(store.dir);
    for (const dir of [paths.groupsDir, paths.agentsDir, join(paths.groupsDir, "global")])
      mkdirSync(dir, { recursive: true });
    writeFileSync(join(store.dir, "admin-token"), "secret\n", { mode: 0o600 });
    writeFileSync(join(paths.groupsDir, "global", "CLAUDE.md"), "shared");
    const intruder = spareUidBase();
    chownSync(join(store.dir, "admin-token"), intruder, intruder);
    chownSync(paths.groupsDir, intruder, intruder);
    chownSync(join(paths.groupsDir, "global", "CLAUDE.md"), intruder, intruder);
    const outside = join(store.dir, "..", `outside-${intruder}`);
    writeFileSync(outside, "x");
    t.after(() => rmSync(outside, { force: true }));
    chownSync(outside, intruder, intruder);
    symlinkSync(outside, join(paths.storeDir, "planted"));
    const wrong = await reclaimHostFiles(
      paths,
      [{ tree: join(paths.groupsDir, "global"), mode: 0o755 }],
      ["admin-token"],
    );
    assert.equal(statSync(join(store.dir, "admin-token")).uid, 0);
    assert.equal(statSync(paths.groupsDir).uid, 0);
    assert.equal(statSync(join(paths.groupsDir, "global", "CLAUDE.md")).uid, 0);
    assert.equal(statSync(outside).uid, intruder, "a planted link is not followed");
    assert.ok(
      wrong.some((line) => line.includes("admin-token") && line.includes(`uid ${intruder}`)),
    );
    assert.ok(wrong.some((line) => line.includes(paths.groupsDir)));
  });
});
