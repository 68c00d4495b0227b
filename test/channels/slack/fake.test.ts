// The fake's wire protocol where @slack/web-api does not exercise it: JSON bodies, the token
// in the body, token checks and the 429 shape.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startSlackFake, type SlackFake } from "../../fakes/slack/server.ts";

let fake: SlackFake;
before(async () => {
  fake = await startSlackFake({ botToken: "xoxb-good", appToken: "xapp-good" });
  fake.addChannel({ id: "C1", name: "one" });
});
after(() => fake.close());

async function post(
  method: string,
  init: RequestInit,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${fake.apiUrl}${method}`, { method: "POST", ...init });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

test("a JSON body with a bearer token is accepted", async () => {
  const { body } = await post("chat.postMessage", {
    headers: { "content-type": "application/json", authorization: "Bearer xoxb-good" },
    body: JSON.stringify({ channel: "C1", text: "json", thread_ts: "1.000001" }),
  });
  assert.equal((body as { ok: boolean }).ok, true);
  assert.equal(fake.messages("C1").at(-1)?.thread_ts, "1.000001");
});

test("a form body may carry the token itself", async () => {
  const { body } = await post("auth.test", { body: new URLSearchParams({ token: "xoxb-good" }) });
  assert.deepEqual(
    [(body as { ok: boolean }).ok, (body as { user_id: string }).user_id],
    [true, fake.botUserId],
  );
});

test("wrong, missing and misplaced tokens are refused as Slack does", async () => {
  const wrong = await post("auth.test", { headers: { authorization: "Bearer xoxb-bad" } });
  assert.deepEqual(wrong.body, { ok: false, error: "invalid_auth" });
  const missing = await post("auth.test", {});
  assert.deepEqual(missing.body, { ok: false, error: "not_authed" });
  const appTokenForBotMethod = await post("auth.test", {
    headers: { authorization: "Bearer xapp-good" },
  });
  assert.deepEqual(appTokenForBotMethod.body, { ok: false, error: "not_allowed_token_type" });
});

test("a rate limit is HTTP 429 with Retry-After, once", async () => {
  fake.failNext("auth.test", { retryAfter: 3 });
  const limited = await post("auth.test", { headers: { authorization: "Bearer xoxb-good" } });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "3");
  const next = await post("auth.test", { headers: { authorization: "Bearer xoxb-good" } });
  assert.equal(next.status, 200);
});

test("apps.connections.open hands out a loopback WebSocket URL with a ticket", async () => {
  const { body } = await post("apps.connections.open", {
    headers: { authorization: "Bearer xapp-good" },
  });
  const url = new URL((body as { url: string }).url);
  assert.equal(url.protocol, "ws:");
  assert.equal(url.hostname, "127.0.0.1");
  assert.ok(url.searchParams.get("ticket"));
});
