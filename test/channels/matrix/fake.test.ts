// The fake homeserver answers matrix-js-sdk: whoami, /sync with since tokens and long polls,
// joins, sends (idempotent per transaction), reactions, redactions, typing, invites and media.
// The client is built without a scheduler, as the adapter builds it: a 429 reaches the caller.
import assert from "node:assert/strict";
import { it } from "node:test";
import { MatrixClient, Method, type MatrixError } from "matrix-js-sdk";
import { sdkLogger } from "../../../src/channels/matrix/sdk-logger.ts";
import { createLogger } from "../../../src/log.ts";
import { startMatrixFake } from "../../fakes/matrix/server.ts";

interface SyncBody {
  next_batch: string;
  rooms: {
    join: Record<
      string,
      {
        timeline: {
          events: { event_id: string; type: string; content: Record<string, unknown> }[];
        };
      }
    >;
    invite: Record<string, unknown>;
  };
}

it("serves matrix-js-sdk the client-server API the adapter uses", async (t) => {
  const fake = await startMatrixFake();
  t.after(() => fake.close());
  const client = new MatrixClient({
    baseUrl: fake.baseUrl,
    accessToken: fake.accessToken,
    userId: fake.botUserId,
    logger: sdkLogger(createLogger("silent")),
  });
  t.after(() => client.stopClient());
  assert.equal((await client.whoami()).user_id, fake.botUserId);
  const sync = (since?: string, timeout = 0) =>
    client.http.authedRequest<SyncBody>(
      Method.Get,
      "/sync",
      { ...(since ? { since } : {}), timeout: String(timeout) },
      undefined,
    );

  const room = fake.createRoom({ name: "Family", members: ["@bea:fake.test"] });
  fake.inviteBot(room, "@bea:fake.test");
  const first = await sync();
  assert.ok(first.rooms.invite[room]);
  await client.http.authedRequest(Method.Post, `/join/${encodeURIComponent(room)}`, undefined, {});
  assert.equal(fake.membership(room, fake.botUserId), "join");

  // A long poll returns as soon as something happens.
  const polling = sync(first.next_batch, 30_000);
  const posted = fake.post(room, "@bea:fake.test", "m.room.message", {
    msgtype: "m.text",
    body: "hi bot",
  });
  const second = await polling;
  const timeline = second.rooms.join[room]?.timeline.events ?? [];
  assert.ok(timeline.some((event) => event.event_id === posted));
  assert.deepEqual(
    (await sync(second.next_batch)).rooms.join,
    {},
    "nothing is replayed after the token",
  );

  const sent = await client.sendEvent(
    room,
    "m.room.message" as never,
    { msgtype: "m.text", body: "hello" } as never,
    "txn-1",
  );
  const again = await client.sendEvent(
    room,
    "m.room.message" as never,
    { msgtype: "m.text", body: "hello" } as never,
    "txn-1",
  );
  assert.equal(again.event_id, sent.event_id, "a retried transaction is not posted twice");
  assert.equal(fake.sentByBot(room, "m.room.message").length, 1);
  const reaction = await client.sendEvent(
    room,
    "m.reaction" as never,
    { "m.relates_to": { rel_type: "m.annotation", event_id: posted, key: "👀" } } as never,
  );
  assert.deepEqual(fake.botReactionsOn(room, posted), ["👀"]);
  await client.redactEvent(room, reaction.event_id);
  assert.deepEqual(fake.botReactionsOn(room, posted), []);
  await client.sendTyping(room, true, 30_000);
  assert.deepEqual(fake.typingCalls, [{ roomId: room, typing: true }]);
  await client.invite(room, "@cy:fake.test");
  assert.equal(fake.membership(room, "@cy:fake.test"), "invite");

  const upload = await client.uploadContent(
    new Blob([new Uint8Array([1, 2, 3])], { type: "image/png" }),
    { name: "dot.png", type: "image/png" },
  );
  assert.deepEqual(fake.media(upload.content_uri)?.bytes, new Uint8Array([1, 2, 3]));
  const url = client.mxcUrlToHttp(
    upload.content_uri,
    undefined,
    undefined,
    undefined,
    false,
    true,
    true,
  );
  assert.ok(url);
  const download = await fetch(url, { headers: { Authorization: `Bearer ${fake.accessToken}` } });
  assert.deepEqual(new Uint8Array(await download.arrayBuffer()), new Uint8Array([1, 2, 3]));

  fake.failNext("PUT", /\/send\//, {
    status: 429,
    errcode: "M_LIMIT_EXCEEDED",
    retryAfterMs: 1500,
  });
  await assert.rejects(
    client.sendEvent(room, "m.room.message" as never, { msgtype: "m.text", body: "x" } as never),
    (error: MatrixError) =>
      error.errcode === "M_LIMIT_EXCEEDED" && error.data.retry_after_ms === 1500,
  );
});

it("refuses a wrong access token with M_UNKNOWN_TOKEN", async (t) => {
  const fake = await startMatrixFake({ refuseToken: true });
  t.after(() => fake.close());
  const client = new MatrixClient({
    baseUrl: fake.baseUrl,
    accessToken: "wrong",
    userId: fake.botUserId,
    logger: sdkLogger(createLogger("silent")),
  });
  await assert.rejects(
    client.whoami(),
    (error: MatrixError) => error.httpStatus === 401 && error.errcode === "M_UNKNOWN_TOKEN",
  );
});
