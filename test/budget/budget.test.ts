// Budget decisions against a real SQLite store in a temp dir.
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import {
  Budget,
  budgetRefusalIn,
  firstNoticeToday,
  formatUsd,
  overallCap,
  resetOverallCap,
  setOverallCap,
} from "../../src/budget/budget.ts";
import { insertGroup, type Group } from "../../src/store/groups.ts";
import { setGroupDailyBudget } from "../../src/store/settings.ts";
import { spendOnDayOf } from "../../src/budget/spend.ts";
import { recordUsage } from "../../src/store/usage.ts";
import { openTempStore, type TempStore } from "../helpers/store.ts";

// Haiku 4.5 output is $5 per million tokens: 200k output tokens cost $1.
const HAIKU = "claude-haiku-4-5";
const dollars = (usd: number) => ({
  model: HAIKU,
  inputTokens: 0,
  outputTokens: usd * 200_000,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

let store: TempStore;
let family: Group;
let work: Group;
let now = Date.parse("2026-11-25T12:00:00Z");

function group(folder: string, name: string): Group {
  return insertGroup(
    store.db,
    {
      channel: "telegram",
      chatId: folder,
      folder,
      name,
      trigger: "@Andy",
      requiresTrigger: true,
      isMain: false,
    },
    now,
  );
}

function spend(groupId: number, usd: number, at = now): void {
  recordUsage(store.db, { ...dollars(usd), groupId, at });
}

beforeEach(() => {
  store = openTempStore();
  now = Date.parse("2026-11-25T12:00:00Z");
  family = group("family", "Family");
  work = group("work", "Work");
});
afterEach(() => store.close());

function budget(defaultDailyUsd: number | undefined, timeZone = "Europe/Berlin"): Budget {
  return new Budget({ db: store.db, timeZone, defaultDailyUsd, now: () => now });
}

test("without any cap nothing is refused", () => {
  spend(family.id, 1000);
  assert.equal(budget(undefined).refusal(family.id), undefined);
});

test("at the overall cap every group is refused, with what was spent and when calls resume", () => {
  const b = budget(5);
  spend(family.id, 3);
  assert.equal(b.refusal(family.id), undefined);
  spend(work.id, 2);
  const text = b.refusal(family.id);
  assert.equal(
    text,
    "Daily budget of $5.00 reached for all chats (spent $5.00 today); model calls resume at midnight Europe/Berlin.",
  );
  assert.equal(b.refusal(work.id), text);
});

test("a group's own cap refuses only that group", () => {
  setGroupDailyBudget(store.db, family.id, 1.5);
  const b = budget(undefined);
  spend(family.id, 1);
  spend(work.id, 4);
  assert.equal(b.refusal(family.id), undefined);
  spend(family.id, 0.75);
  assert.equal(
    b.refusal(family.id),
    "Daily budget of $1.50 reached for Family (spent $1.75 today); model calls resume at midnight Europe/Berlin.",
  );
  assert.equal(b.refusal(work.id), undefined);
});

test("the admin UI's overall cap wins over DAILY_BUDGET_USD, including no cap at all", () => {
  assert.deepEqual(overallCap(store.db, 5), { usd: 5, source: "env" });
  assert.deepEqual(overallCap(store.db, undefined), { usd: null, source: "none" });
  setOverallCap(store.db, 20);
  assert.deepEqual(overallCap(store.db, 5), { usd: 20, source: "settings" });
  spend(family.id, 10);
  assert.equal(budget(5).refusal(family.id), undefined);
  setOverallCap(store.db, null);
  assert.deepEqual(overallCap(store.db, 5), { usd: null, source: "settings" });
  spend(family.id, 100);
  assert.equal(budget(5).refusal(family.id), undefined);
  resetOverallCap(store.db);
  assert.match(budget(5).refusal(family.id) ?? "", /^Daily budget of \$5\.00 reached/);
});

test("a raised cap lets calls through at once", () => {
  const b = budget(1);
  spend(family.id, 1);
  assert.ok(b.refusal(family.id));
  setOverallCap(store.db, 2);
  assert.equal(b.refusal(family.id), undefined);
});

test("spend counts per calendar day in the time zone; the next local day starts fresh", () => {
  const b = budget(1, "America/New_York");
  // 23:30 in New York on the 24th, then 00:30 on the 25th.
  spend(family.id, 0.9, Date.parse("2026-11-25T04:30:00Z"));
  now = Date.parse("2026-11-25T04:45:00Z");
  assert.equal(b.refusal(family.id), undefined);
  spend(family.id, 0.5, Date.parse("2026-11-25T04:50:00Z"));
  assert.match(b.refusal(family.id) ?? "", /spent \$1\.40 today/);
  now = Date.parse("2026-11-25T05:30:00Z");
  assert.equal(b.refusal(family.id), undefined);
  spend(family.id, 0.6, Date.parse("2026-11-25T05:40:00Z"));
  assert.equal(b.refusal(family.id), undefined);
  spend(family.id, 0.4, Date.parse("2026-11-25T05:45:00Z"));
  assert.match(b.refusal(family.id) ?? "", /spent \$1\.00 today/);
});

test("the running total read row by row matches a fresh sum over the day", () => {
  const b = budget(undefined);
  const yesterday = now - 24 * 3600_000;
  for (let i = 0; i < 40; i++) {
    spend(i % 2 ? family.id : work.id, 0.01 * (i + 1), i % 5 === 0 ? yesterday : now);
    const incremental = b.spendToday();
    const fresh = spendOnDayOf(store.db, "Europe/Berlin", now);
    assert.ok(Math.abs(incremental.totalUsd - fresh.totalUsd) < 1e-9, `after row ${i}`);
    assert.deepEqual(
      [...incremental.byGroup].map(([id, usd]) => [id, usd.toFixed(9)]).sort(),
      [...fresh.byGroup].map(([id, usd]) => [id, usd.toFixed(9)]).sort(),
    );
  }
});

test("the refusal text is found again inside the CLI's error text", () => {
  const text =
    "Daily budget of $0.0001 reached for Main (spent $0.00031 today); model calls resume at midnight America/Argentina/Buenos_Aires.";
  assert.equal(budgetRefusalIn(`Failed to authenticate. API Error: 403 ${text}`), text);
  assert.equal(budgetRefusalIn("API Error: 403 forbidden"), undefined);
  assert.equal(formatUsd(0.0001), "$0.0001");
  assert.equal(formatUsd(0.004567), "$0.0046");
  assert.equal(formatUsd(12.345), "$12.35");
  assert.equal(formatUsd(0), "$0.00");
});

test("the budget notice is due once per group per calendar day, across restarts", () => {
  const day1 = Date.parse("2026-11-25T10:00:00Z");
  assert.equal(firstNoticeToday(store.db, family.id, "UTC", day1), true);
  assert.equal(firstNoticeToday(store.db, family.id, "UTC", day1 + 3600_000), false);
  assert.equal(firstNoticeToday(store.db, work.id, "UTC", day1), true);
  assert.equal(firstNoticeToday(store.db, family.id, "UTC", day1 + 24 * 3600_000), true);
});
