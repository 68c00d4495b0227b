// The credential proxy with the real budget check on SQLite, in front of the fake
// Anthropic Messages API.
import { after, afterEach, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { CredentialProxy } from "../../src/agent/credential-proxy.ts";
import { Budget, budgetRefusalIn, setOverallCap } from "../../src/budget/budget.ts";
import { createLogger } from "../../src/log.ts";
import { insertGroup } from "../../src/store/groups.ts";
import { setGroupDailyBudget } from "../../src/store/settings.ts";
import { spendOnDayOf } from "../../src/budget/spend.ts";
import { recordUsage } from "../../src/store/usage.ts";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { openTempStore, type TempStore } from "../helpers/store.ts";
import { waitFor } from "../helpers/wait.ts";

let fake: AnthropicFake;
let store: TempStore;
let proxy: CredentialProxy;
let groupId: number;

before(async () => {
  fake = await startAnthropicFake();
});
after(() => fake.close());

beforeEach(async () => {
  fake.requests.length = 0;
  store = openTempStore();
  groupId = insertGroup(
    store.db,
    {
      channel: "web",
      chatId: "family",
      folder: "family",
      name: "Family",
      trigger: "@Andy",
      requiresTrigger: false,
      isMain: false,
    },
    0,
  ).id;
  const budget = new Budget({ db: store.db, timeZone: "UTC", defaultDailyUsd: undefined });
  proxy = new CredentialProxy({
    upstream: fake.url,
    credential: { apiKey: "sk-ant-budget-test" },
    logger: createLogger("silent"),
    onUsage: (record) => recordUsage(store.db, record),
    refuse: (id) => budget.refusal(id),
  });
  await proxy.start();
});
afterEach(async () => {
  await proxy.stop();
  store.close();
});

function call(token: string, path = "/v1/messages?beta=true", stream = true) {
  return fetch(`${proxy.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": token },
    body: JSON.stringify({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      stream,
      tools: [{ name: "t" }],
      messages: [{ role: "user", content: "hello there" }],
    }),
  });
}

test("at the cap a model call gets a final Anthropic-shaped 403 and never reaches the API", async () => {
  const token = proxy.issueToken(groupId);
  setOverallCap(store.db, 0.000001);
  const ok = await call(token);
  assert.equal(ok.status, 200);
  await ok.text();
  assert.equal(fake.requests.length, 1);
  const spent = spendOnDayOf(store.db, "UTC").totalUsd;
  assert.ok(spent >= 0.000001, `the streamed usage was recorded (${spent})`);

  const refused = await call(token);
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get("content-type") ?? "", /application\/json/);
  const body = (await refused.json()) as { type: string; error: { type: string; message: string } };
  assert.equal(body.type, "error");
  assert.equal(body.error.type, "permission_error");
  assert.match(
    body.error.message,
    /^Daily budget of \$0\.000001 reached for all chats \(spent \$0\.0000\d+ today\); model calls resume at midnight UTC\.$/,
  );
  assert.equal(budgetRefusalIn(`API Error: 403 ${body.error.message}`), body.error.message);
  assert.equal(fake.requests.length, 1, "no upstream request was made");

  // Counting tokens costs nothing and is still forwarded.
  const count = await call(token, "/v1/messages/count_tokens", false);
  assert.equal(count.status, 200);
  await count.text();
});

test("a group's own cap refuses that group's calls and lets the others through", async () => {
  const other = insertGroup(
    store.db,
    {
      channel: "web",
      chatId: "work",
      folder: "work",
      name: "Work",
      trigger: "@Andy",
      requiresTrigger: false,
      isMain: false,
    },
    0,
  ).id;
  setGroupDailyBudget(store.db, groupId, 0.000001);
  const family = proxy.issueToken(groupId);
  const work = proxy.issueToken(other);
  await (await call(family)).text();
  const refused = await call(family);
  assert.equal(refused.status, 403);
  assert.match(
    ((await refused.json()) as { error: { message: string } }).error.message,
    /reached for Family/,
  );
  const allowed = await call(work);
  assert.equal(allowed.status, 200);
  await allowed.text();
  assert.equal(fake.requests.length, 2);
});

test("a call already running when the cap is reached finishes and its cost counts", async () => {
  const token = proxy.issueToken(groupId);
  setOverallCap(store.db, 1);
  fake.enqueue({ text: "a slow answer", delayMs: 1500 });
  const running = call(token);
  await waitFor(() => fake.requests.length > 0, "the call to reach the model", 10_000);
  assert.equal(fake.requests.length, 1);
  recordUsage(store.db, {
    groupId,
    model: "claude-haiku-4-5",
    inputTokens: 0,
    outputTokens: 200_000,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    at: Date.now(),
  });
  const res = await running;
  assert.equal(res.status, 200);
  assert.match(await res.text(), /a slow answer/);
  const refused = await call(token);
  assert.equal(refused.status, 403);
  const message = ((await refused.json()) as { error: { message: string } }).error.message;
  const spent = spendOnDayOf(store.db, "UTC").totalUsd;
  assert.ok(spent > 1, "the running call's usage was added after the cap was reached");
  assert.ok(message.includes(`(spent $${spent.toFixed(2)} today)`), message);
});
