// PATCH /api/groups/:folder on a Hono app over a real SQLite store: a group's model and
// effort are set, validated with a message naming the problem, and reset with null.
import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { getGroupByFolder, insertGroup } from "../../src/store/groups.ts";
import { groupRoutes } from "../../src/web/groups-api.ts";
import { openTempStore, type TempStore } from "../helpers/store.ts";

let store: TempStore;
let app: ReturnType<typeof groupRoutes>;

beforeEach(() => {
  store = openTempStore();
  insertGroup(
    store.db,
    {
      channel: "web",
      chatId: "main",
      folder: "main",
      name: "Main",
      trigger: "@Andy",
      requiresTrigger: false,
      isMain: true,
    },
    0,
  );
  app = groupRoutes({ db: store.db, assistantName: "Andy", retireGroup: async () => undefined });
});
afterEach(() => store.close());

const patch = (body: unknown) =>
  app.request("/api/groups/main", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

test("a group's model and effort are stored, and null goes back to the defaults", async () => {
  const set = await patch({ model: "claude-haiku-4-5", effort: "low" });
  assert.equal(set.status, 200);
  const { group } = (await set.json()) as { group: { model: string; effort: string } };
  assert.equal(group.model, "claude-haiku-4-5");
  assert.equal(group.effort, "low");

  // Other settings leave them alone.
  assert.equal((await patch({ name: "Owner" })).status, 200);
  assert.equal(getGroupByFolder(store.db, "main")?.model, "claude-haiku-4-5");

  for (const model of ["sonnet", "claude-opus-4-1[1m]", "us.anthropic.claude-sonnet-4-5-v1:0"])
    assert.equal((await patch({ model })).status, 200, model);

  assert.equal((await patch({ model: null, effort: null })).status, 200);
  const reset = getGroupByFolder(store.db, "main")!;
  assert.equal(reset.model, null);
  assert.equal(reset.effort, null);
});

test("a bad model or effort is refused with a message naming it, and nothing changes", async () => {
  await patch({ model: "claude-haiku-4-5", effort: "high" });
  const cases: [unknown, RegExp][] = [
    [{ model: "" }, /model: expected a model id/],
    [{ model: "--dangerously-skip-permissions" }, /model: expected a model id/],
    [{ model: "claude sonnet" }, /model: expected a model id/],
    [{ model: "x".repeat(129) }, /model: expected a model id/],
    [{ model: 4 }, /model: expected a model id as a string/],
    [{ effort: "extreme" }, /effort: expected one of low, medium, high, xhigh, max/],
    [{ effort: 3 }, /effort: expected one of/],
  ];
  for (const [body, message] of cases) {
    const response = await patch(body);
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.match(((await response.json()) as { error: string }).error, message);
  }
  const group = getGroupByFolder(store.db, "main")!;
  assert.equal(group.model, "claude-haiku-4-5");
  assert.equal(group.effort, "high");
});

test("a group's streaming is on, off, or null for the service's STREAMING; nothing else", async () => {
  assert.equal(getGroupByFolder(store.db, "main")?.streaming, null);
  assert.equal((await patch({ streaming: false })).status, 200);
  assert.equal(getGroupByFolder(store.db, "main")?.streaming, false);
  assert.equal((await patch({ model: "claude-haiku-4-5" })).status, 200);
  assert.equal(getGroupByFolder(store.db, "main")?.streaming, false, "other changes keep it");
  const bad = await patch({ streaming: "yes" });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /streaming: expected true, false/);
  assert.equal((await patch({ streaming: null })).status, 200);
  assert.equal(getGroupByFolder(store.db, "main")?.streaming, null);
});
