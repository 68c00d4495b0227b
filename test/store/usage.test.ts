// Usage per group per day in the service's time zone, and the settings store, on real SQLite.
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { insertGroup } from "../../src/store/groups.ts";
import {
  deleteSetting,
  getGroupDailyBudget,
  getSetting,
  listGroupBudgets,
  setGroupDailyBudget,
  setSetting,
} from "../../src/store/settings.ts";
import { dailyUsage, spendOnDayOf } from "../../src/budget/spend.ts";
import { recordUsage } from "../../src/store/usage.ts";
import { openTempStore, type TempStore } from "../helpers/store.ts";

let store: TempStore;
beforeEach(() => {
  store = openTempStore();
});
afterEach(() => store.close());

function addGroup(folder: string): number {
  return insertGroup(
    store.db,
    {
      channel: "web",
      chatId: folder,
      folder,
      name: folder.toUpperCase(),
      trigger: "@Andy",
      requiresTrigger: false,
      isMain: false,
    },
    0,
  ).id;
}

function use(groupId: number | null, at: string, outputTokens: number, model = "claude-haiku-4-5") {
  recordUsage(store.db, {
    groupId,
    model,
    inputTokens: 10,
    outputTokens,
    cacheReadTokens: 100,
    cacheWriteTokens: 1000,
    at: Date.parse(at),
  });
}

test("settings are read, replaced and deleted by key", () => {
  assert.equal(getSetting(store.db, "a"), undefined);
  setSetting(store.db, "a", "1", 10);
  setSetting(store.db, "a", "2", 20);
  assert.equal(getSetting(store.db, "a"), "2");
  const row = store.db.prepare("SELECT updated_at FROM settings WHERE key = 'a'").get() as {
    updated_at: number;
  };
  assert.equal(row.updated_at, 20);
  deleteSetting(store.db, "a");
  assert.equal(getSetting(store.db, "a"), undefined);
});

test("a group's daily budget is set, listed and removed", () => {
  const id = addGroup("family");
  assert.equal(getGroupDailyBudget(store.db, id), null);
  setGroupDailyBudget(store.db, id, 2.5);
  assert.equal(getGroupDailyBudget(store.db, id), 2.5);
  assert.deepEqual(listGroupBudgets(store.db), [
    { id, folder: "family", name: "FAMILY", dailyUsd: 2.5 },
  ]);
  setGroupDailyBudget(store.db, id, null);
  assert.equal(getGroupDailyBudget(store.db, id), null);
});

test("usage is summed per group per local day, oldest first, empty days included", () => {
  const a = addGroup("a");
  const b = addGroup("b");
  // Europe/Berlin is UTC+1 in November: 23:30 UTC on the 23rd is already the 24th there.
  use(a, "2026-11-23T22:30:00Z", 200_000);
  use(a, "2026-11-23T23:30:00Z", 200_000);
  use(b, "2026-11-24T12:00:00Z", 400_000);
  use(a, "2026-11-25T08:00:00Z", 2_000_000, "claude-opus-4-6");
  const days = dailyUsage(store.db, {
    timeZone: "Europe/Berlin",
    days: 4,
    now: Date.parse("2026-11-25T09:00:00Z"),
  });
  assert.deepEqual(
    days.map((d) => d.day),
    ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"],
  );
  assert.deepEqual(days[0]!.groups, []);
  assert.equal(days[0]!.totalUsd, 0);
  // Haiku 4.5: 10 input ($1/M), 200k output ($5/M), 100 cache reads ($0.10/M), 1000 writes ($1.25/M).
  const haiku = (10 * 1 + 200_000 * 5 + 100 * 0.1 + 1000 * 1.25) / 1e6;
  assert.deepEqual(days[1]!.groups, [
    {
      groupId: a,
      inputTokens: 10,
      outputTokens: 200_000,
      cacheReadTokens: 100,
      cacheWriteTokens: 1000,
      costUsd: haiku,
    },
  ]);
  assert.deepEqual(
    days[2]!.groups.map((g) => [g.groupId, g.outputTokens]),
    [
      [a, 200_000],
      [b, 400_000],
    ],
  );
  assert.ok(Math.abs(days[2]!.totalUsd - (haiku + (10 + 400_000 * 5 + 10 + 1250) / 1e6)) < 1e-12);
  assert.equal(days[3]!.groups[0]!.outputTokens, 2_000_000);
  assert.ok(days[3]!.totalUsd > 50, "priced as Opus, not Haiku");
});

test("a 25-hour DST day holds the usage of its extra hour", () => {
  const a = addGroup("a");
  // New York falls back on 2026-11-01: 05:30 and 06:30 UTC are both 01:30 local.
  use(a, "2026-11-01T04:30:00Z", 1);
  use(a, "2026-11-01T05:30:00Z", 1);
  use(a, "2026-11-01T06:30:00Z", 1);
  use(a, "2026-11-02T04:59:00Z", 1);
  use(a, "2026-11-02T05:00:00Z", 1);
  const days = dailyUsage(store.db, {
    timeZone: "America/New_York",
    days: 2,
    now: Date.parse("2026-11-02T12:00:00Z"),
  });
  assert.deepEqual(
    days.map((d) => [d.day, d.groups[0]?.outputTokens]),
    [
      ["2026-11-01", 4],
      ["2026-11-02", 1],
    ],
  );
});

test("today's spend is split per group, usage without a group included", () => {
  const a = addGroup("a");
  use(a, "2026-11-25T01:00:00Z", 200_000);
  use(null, "2026-11-25T02:00:00Z", 200_000);
  use(a, "2026-11-24T23:00:00Z", 200_000);
  const spend = spendOnDayOf(store.db, "UTC", Date.parse("2026-11-25T12:00:00Z"));
  assert.equal(spend.byGroup.size, 2);
  assert.ok(Math.abs(spend.totalUsd - 2 * spend.byGroup.get(a)!) < 1e-12);
  assert.ok(Math.abs(spend.byGroup.get(a)! - 1.00127) < 1e-9);
});
