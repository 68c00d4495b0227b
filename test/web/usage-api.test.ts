// /api/usage/daily and /api/budget on a Hono app over a real SQLite store.
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { loadConfig } from "../../src/config.ts";
import { Budget } from "../../src/budget/budget.ts";
import { deleteGroup, insertGroup } from "../../src/store/groups.ts";
import { recordUsage } from "../../src/store/usage.ts";
import { usageRoutes } from "../../src/web/usage-api.ts";
import { openTempStore, type TempStore } from "../helpers/store.ts";

let store: TempStore;
let app: Hono;
let ids: Record<string, number>;

function makeApp(env: Record<string, string>): Hono {
  return usageRoutes({
    db: store.db,
    config: loadConfig({ DATA_DIR: store.dir, TZ: "Europe/Berlin", ...env }),
  });
}

beforeEach(() => {
  store = openTempStore();
  ids = {};
  for (const folder of ["main", "family", "old"]) {
    ids[folder] = insertGroup(
      store.db,
      {
        channel: "web",
        chatId: folder,
        folder,
        name: folder[0]!.toUpperCase() + folder.slice(1),
        trigger: "@Andy",
        requiresTrigger: false,
        isMain: folder === "main",
      },
      0,
    ).id;
  }
  app = makeApp({ DAILY_BUDGET_USD: "5" });
});
afterEach(() => store.close());

const put = (body: unknown) =>
  app.request("/api/budget", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

function use(groupId: number, at: number, outputTokens: number): void {
  recordUsage(store.db, {
    groupId,
    model: "claude-haiku-4-5",
    inputTokens: 1,
    outputTokens,
    cacheReadTokens: 10,
    cacheWriteTokens: 8,
    at,
  });
}

interface DailyBody {
  timeZone: string;
  days: {
    day: string;
    groups: {
      folder: string;
      name: string;
      inputTokens: number;
      outputTokens: number;
      cacheReadTokens: number;
      cacheWriteTokens: number;
      costUsd: number;
    }[];
    totalUsd: number;
  }[];
  today: {
    spentUsd: number;
    capUsd: number | null;
    groups: { folder: string; spentUsd: number; capUsd: number | null }[];
  };
}

test("daily usage lists the last days with tokens and cost per group, and today's spend against the caps", async () => {
  const now = Date.now();
  use(ids.main!, now, 200_000);
  use(ids.family!, now, 400_000);
  use(ids.family!, now - 2 * 24 * 3600_000, 200_000);
  use(ids.old!, now, 200_000);
  deleteGroup(store.db, ids.old!);
  await put({ groups: { family: 1.5 } });

  const res = await app.request("/api/usage/daily?days=3");
  assert.equal(res.status, 200);
  const body = (await res.json()) as DailyBody;
  assert.equal(body.timeZone, "Europe/Berlin");
  assert.equal(body.days.length, 3);
  const today = body.days[2]!;
  assert.equal(
    today.day,
    new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(now),
  );
  assert.deepEqual(
    today.groups.map((g) => [g.folder, g.name, g.outputTokens]),
    [
      ["main", "Main", 200_000],
      ["family", "Family", 400_000],
      [`#${ids.old}`, `Deleted group ${ids.old}`, 200_000],
    ],
  );
  assert.deepEqual(today.groups[1], {
    folder: "family",
    name: "Family",
    inputTokens: 1,
    outputTokens: 400_000,
    cacheReadTokens: 10,
    cacheWriteTokens: 8,
    costUsd: 2.000012,
  });
  assert.equal(today.totalUsd, 4.000036);
  assert.equal(body.days[1]!.totalUsd, 0);
  assert.deepEqual(
    body.days[0]!.groups.map((g) => g.folder),
    ["family"],
  );

  assert.equal(body.today.spentUsd, 4.000036);
  assert.equal(body.today.capUsd, 5);
  assert.deepEqual(body.today.groups, [
    { folder: "main", spentUsd: 1.000012, capUsd: null },
    { folder: "family", spentUsd: 2.000012, capUsd: 1.5 },
    { folder: `#${ids.old}`, spentUsd: 1.000012, capUsd: null },
  ]);
});

test("daily usage also gives cost per model over the days asked, the most expensive first", async () => {
  const now = Date.now();
  use(ids.main!, now, 200_000);
  recordUsage(store.db, {
    groupId: ids.family!,
    model: "claude-sonnet-4-5-20250929",
    inputTokens: 1_000,
    outputTokens: 100_000,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    at: now,
  });
  // Older than the window: not counted.
  use(ids.main!, now - 10 * 24 * 3600_000, 200_000);
  const res = await app.request("/api/usage/daily?days=3");
  const body = (await res.json()) as {
    models: { model: string; requests: number; outputTokens: number; costUsd: number }[];
  };
  assert.deepEqual(
    body.models.map((m) => [m.model, m.requests, m.outputTokens, m.costUsd]),
    [
      // 1k input at $3/M + 100k output at $15/M
      ["claude-sonnet-4-5-20250929", 1, 100_000, 1.503],
      ["claude-haiku-4-5", 1, 200_000, 1.000012],
    ],
  );
});

test("days defaults to 14 and must be a whole number from 1 to 366", async () => {
  const body = (await (await app.request("/api/usage/daily")).json()) as DailyBody;
  assert.equal(body.days.length, 14);
  for (const days of ["0", "367", "-1", "2.5", "abc", ""]) {
    const res = await app.request(`/api/usage/daily?days=${days}`);
    assert.equal(res.status, 400, days);
    assert.match(
      ((await res.json()) as { error: string }).error,
      /days: expected a whole number from 1 to 366/,
    );
  }
});

test("the budget shows the DAILY_BUDGET_USD default until the admin UI sets its own", async () => {
  assert.deepEqual(await (await app.request("/api/budget")).json(), {
    timeZone: "Europe/Berlin",
    dailyUsd: 5,
    source: "env",
    defaultDailyUsd: 5,
    groups: [
      { folder: "main", name: "Main", dailyUsd: null },
      { folder: "family", name: "Family", dailyUsd: null },
      { folder: "old", name: "Old", dailyUsd: null },
    ],
  });
  const res = await put({ dailyUsd: 12.5, groups: { family: 2, main: null } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as {
    dailyUsd: number;
    source: string;
    groups: { dailyUsd: number | null }[];
  };
  assert.equal(body.dailyUsd, 12.5);
  assert.equal(body.source, "settings");
  assert.deepEqual(
    body.groups.map((g) => g.dailyUsd),
    [null, 2, null],
  );

  await put({ dailyUsd: null });
  assert.deepEqual(
    ((await (await app.request("/api/budget")).json()) as { dailyUsd: unknown; source: string })
      .source,
    "settings",
  );
  const cleared = (await (await put({ useDefault: true })).json()) as {
    dailyUsd: number;
    source: string;
  };
  assert.deepEqual([cleared.dailyUsd, cleared.source], [5, "env"]);
});

test("what the API sets is what the proxy's budget check enforces", async () => {
  const budget = new Budget({ db: store.db, timeZone: "Europe/Berlin", defaultDailyUsd: 5 });
  use(ids.family!, Date.now(), 400_000);
  assert.equal(budget.refusal(ids.family!), undefined);
  await put({ groups: { family: 1 } });
  assert.match(budget.refusal(ids.family!) ?? "", /reached for Family/);
  await put({ dailyUsd: 1.5, groups: { family: null } });
  assert.match(budget.refusal(ids.main!) ?? "", /Daily budget of \$1\.50 reached for all chats/);
});

test("bad budgets are refused with a message that names the problem, and nothing changes", async () => {
  const cases: [unknown, RegExp][] = [
    [{ dailyUsd: -1 }, /dailyUsd: expected a positive number of US dollars/],
    [{ dailyUsd: 0 }, /dailyUsd: expected a positive number/],
    [{ dailyUsd: "NaN" }, /dailyUsd: expected a number of US dollars or null/],
    [{ dailyUsd: "5" }, /dailyUsd: expected a number of US dollars or null/],
    ['{"dailyUsd": 1e400}', /dailyUsd: /],
    [{ groups: { family: -2 } }, /groups\.family: expected a positive number/],
    [{ groups: { nobody: 1, "#3": 2 } }, /groups: no group with folder "nobody", "#3"/],
    [{ groups: { family: 1, nobody: 1 } }, /no group with folder "nobody"/],
    [{ dailyUsd: 3, useDefault: true }, /either dailyUsd or useDefault/],
    [{ daily: 3 }, /unknown field\(s\): daily/],
    ["{not json", /not valid JSON/],
  ];
  for (const [body, message] of cases) {
    const res = await put(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { error: string }).error, message, JSON.stringify(body));
  }
  const after = (await (await app.request("/api/budget")).json()) as {
    source: string;
    groups: { dailyUsd: number | null }[];
  };
  assert.equal(after.source, "env");
  assert.deepEqual(
    after.groups.map((g) => g.dailyUsd),
    [null, null, null],
  );
});
