import { test } from "node:test";
import assert from "node:assert/strict";
import { DiskQuota, overQuotaNote, sizeText } from "../../src/core/disk-quota.ts";
import { existsSync, mkdirSync } from "node:fs";
import { agentHome, dataPaths, groupDir, outboundFilesDir } from "../../src/data-layout.ts";
import type { AgentIdentity } from "../../src/agent/isolation/as-agent.ts";
import { createLogger } from "../../src/log.ts";
import { deleteGroup, insertGroup, type Group } from "../../src/store/groups.ts";
import { getOutboundFile } from "../../src/store/outbound-files.ts";
import { storeSentFile } from "../helpers/sent-file.ts";
import { openTempStore } from "../helpers/store.ts";
import { deferred } from "../helpers/wait.ts";

const DAY = 24 * 60 * 60_000;

const MB = 1024 * 1024;

/** Leases as AgentIsolation hands them out, counting those still held. */
function fakeLeases(identityOf: (group: Group) => AgentIdentity | undefined) {
  const held = new Set<object>();
  return {
    held,
    acquire(group: Group) {
      const lease = {
        identity: identityOf(group),
        ready: Promise.resolve(),
        release: () => void held.delete(lease),
      };
      held.add(lease);
      return lease;
    },
  };
}
const GB = 1024 * MB;

function setup(
  t: { after(fn: () => void): void },
  options: { quotaMb?: number; days?: number; now?: number } = {},
) {
  const store = openTempStore();
  const paths = dataPaths(store.dir);
  const group = (folder: string): Group =>
    insertGroup(
      store.db,
      {
        channel: "telegram",
        chatId: folder,
        folder,
        name: `Chat ${folder}`,
        trigger: "@Andy",
        requiresTrigger: true,
        isMain: false,
      },
      0,
    );
  const sizes = new Map<string, number | undefined>();
  const measured: { identity: AgentIdentity | undefined; dirs: string[] }[] = [];
  const pruned: { identity: AgentIdentity | undefined; folder: string; days: number }[] = [];
  const told: [string, string][] = [];
  const leases = fakeLeases((g) => ({ uid: 40_000 + g.id, gid: 40_000 + g.id }));
  const quota = new DiskQuota({
    db: store.db,
    paths,
    quotaBytes: (options.quotaMb ?? 1024) * MB,
    retentionDays: options.days ?? 90,
    isolation: leases,
    notify: (g, text) => told.push([g.folder, text]),
    logger: createLogger("silent"),
    measure: async (identity, dirs) => {
      measured.push({ identity, dirs });
      return sizes.get(dirs[0]!.split("/").at(-1)!);
    },
    prune: async (identity, folder, days) => {
      pruned.push({ identity, folder, days });
      return 0;
    },
    now: () => options.now ?? Date.now(),
  });
  t.after(() => {
    quota.stop();
    store.close();
  });
  return { store, paths, group, sizes, measured, pruned, told, quota, leases };
}

test("sizes read the way the quota is set", () => {
  assert.equal(sizeText(GB), "1 GB");
  assert.equal(sizeText(1.5 * GB), "1.5 GB");
  assert.equal(sizeText(50 * MB), "50 MB");
  assert.equal(overQuotaNote(GB), "not saved: this chat's folder is over its 1 GB quota");
});

test("a group is measured as its agent, over both of its trees, holding its lease", async (t) => {
  const { group, paths, measured, quota, leases } = setup(t);
  const family = group("family");
  await quota.measureGroup(family.id);
  assert.equal(leases.held.size, 0, "the lease is released");
  assert.deepEqual(measured, [
    {
      identity: { uid: 40_000 + family.id, gid: 40_000 + family.id },
      dirs: [groupDir(paths, "family"), agentHome(paths, "family")],
    },
  ]);
});

test("over its quota a group's attachments are refused and the chat is told once", async (t) => {
  const { group, sizes, told, quota } = setup(t);
  const family = group("family");
  const work = group("work");
  sizes.set("family", 2 * GB);
  sizes.set("work", 10 * MB);
  await quota.measureAll();
  assert.equal(quota.attachmentRefusal(family), overQuotaNote(GB));
  assert.equal(quota.attachmentRefusal(work), undefined);
  await quota.measureAll();
  assert.deepEqual(told, [
    [
      "family",
      "This chat's files take 2 GB, over its 1 GB quota: new attachments are not saved until some files are removed.",
    ],
  ]);
  assert.equal(quota.warnings().length, 1);
  assert.match(
    quota.warnings()[0]!,
    /"Chat family" \(folder family\) takes 2 GB, over its 1 GB quota/,
  );
});

test("a group back under its quota saves attachments again, and is told again if it goes over again", async (t) => {
  const { group, sizes, told, quota } = setup(t);
  const family = group("family");
  sizes.set("family", 2 * GB);
  await quota.measureGroup(family.id);
  sizes.set("family", 100 * MB);
  await quota.measureGroup(family.id);
  assert.equal(quota.attachmentRefusal(family), undefined);
  assert.deepEqual(quota.warnings(), []);
  sizes.set("family", 3 * GB);
  await quota.measureGroup(family.id);
  assert.equal(told.length, 2);
});

test("a quota of 0 is no quota", async (t) => {
  const { group, sizes, told, quota } = setup(t, { quotaMb: 0 });
  const family = group("family");
  sizes.set("family", 500 * GB);
  await quota.measureGroup(family.id);
  assert.equal(quota.attachmentRefusal(family), undefined);
  assert.deepEqual(told, []);
});

test("a failed measurement keeps what was known", async (t) => {
  const { group, sizes, quota } = setup(t);
  const family = group("family");
  sizes.set("family", 2 * GB);
  await quota.measureGroup(family.id);
  sizes.set("family", undefined);
  await quota.measureGroup(family.id);
  assert.equal(quota.attachmentRefusal(family), overQuotaNote(GB));
});

test("an unregistered group's state goes with it", async (t) => {
  const { store, group, sizes, quota } = setup(t);
  const family = group("family");
  sizes.set("family", 2 * GB);
  await quota.measureGroup(family.id);
  deleteGroup(store.db, family.id);
  await quota.measureGroup(family.id);
  assert.deepEqual(quota.warnings(), []);
  assert.equal(quota.attachmentRefusal(family), undefined);
});

test("calls while a measurement runs share it", async (t) => {
  const { store, paths, group } = setup(t);
  const family = group("family");
  const gate = deferred<number>();
  let calls = 0;
  const quota = new DiskQuota({
    db: store.db,
    paths,
    quotaBytes: GB,
    retentionDays: 90,
    isolation: fakeLeases(() => undefined),
    notify: () => undefined,
    logger: createLogger("silent"),
    measure: async () => {
      calls++;
      return gate.promise;
    },
  });
  const both = Promise.all([quota.measureGroup(family.id), quota.measureGroup(family.id)]);
  gate.resolve(MB);
  await both;
  assert.equal(calls, 1);
});

test("retention prunes each group's attachments as its agent, then measures", async (t) => {
  const { group, paths, pruned, measured, quota } = setup(t, { days: 30 });
  const family = group("family");
  await quota.retain();
  assert.deepEqual(pruned, [
    {
      identity: { uid: 40_000 + family.id, gid: 40_000 + family.id },
      folder: groupDir(paths, "family"),
      days: 30,
    },
  ]);
  assert.equal(measured.length, 1);
});

test("retention also removes the sent files' copies older than it, by the given clock", async (t) => {
  const now = Date.UTC(2027, 5, 1);
  const { store, paths, quota } = setup(t, { days: 30, now });
  const filesDir = outboundFilesDir(paths);
  mkdirSync(filesDir, { recursive: true });
  const old = storeSentFile(store.db, filesDir, now - 31 * DAY, "sent");
  const fresh = storeSentFile(store.db, filesDir, now - 29 * DAY, "sent");
  await quota.retain();
  assert.equal(getOutboundFile(store.db, old.messageId)?.removedAt, now);
  assert.equal(existsSync(old.copy), false);
  assert.equal(getOutboundFile(store.db, fresh.messageId)?.removedAt, null);
  assert.equal(existsSync(fresh.copy), true);
});

test("a retention of 0 keeps attachments", async (t) => {
  const { group, pruned, measured, quota } = setup(t, { days: 0 });
  group("family");
  await quota.retain();
  assert.deepEqual(pruned, []);
  assert.equal(measured.length, 1);
});

test("a failing prune is logged, its lease released, and the group still measured", async (t) => {
  const { store, paths, group } = setup(t);
  const family = group("family");
  const leases = fakeLeases(() => undefined);
  let measuredGroups = 0;
  const quota = new DiskQuota({
    db: store.db,
    paths,
    quotaBytes: GB,
    retentionDays: 90,
    isolation: leases,
    notify: () => undefined,
    logger: createLogger("silent"),
    prune: async () => {
      throw new Error("spawn setpriv ENOENT");
    },
    measure: async () => {
      measuredGroups++;
      return 2 * GB;
    },
  });
  await quota.retain();
  assert.equal(leases.held.size, 0);
  assert.equal(measuredGroups, 1);
  assert.equal(quota.attachmentRefusal(family), overQuotaNote(GB));
});
