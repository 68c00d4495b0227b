import { test } from "node:test";
import assert from "node:assert/strict";
import {
  enqueueDelivery,
  failedDeliveries,
  getDelivery,
  markFailed,
  markRetry,
  markSent,
  pendingDeliveries,
  sentAfter,
} from "../../src/store/outbox.ts";
import { insertOutbound } from "../../src/store/messages.ts";
import {
  getOutboundFile,
  insertOutboundFile,
  outboundFilesOf,
} from "../../src/store/outbound-files.ts";
import type { Db } from "../../src/store/db.ts";
import { openTempStore } from "../helpers/store.ts";

function reply(
  db: Db,
  text: string,
  chatId = "c1",
  channel = "web",
): { messageId: number; outboxId: number } {
  const messageId = insertOutbound(db, {
    channel,
    chatId,
    senderName: "Andy",
    text,
    timestamp: 100,
  });
  const outboxId = enqueueDelivery(db, { messageId, channel, chatId }, 100);
  return { messageId, outboxId };
}

test("a new delivery is pending, due now, with the reply's text", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const messageId = insertOutbound(db, {
    channel: "slack",
    chatId: "C1",
    threadId: "171.5",
    senderName: "Andy",
    text: "hi",
    timestamp: 5,
  });
  const id = enqueueDelivery(
    db,
    { messageId, channel: "slack", chatId: "C1", threadId: "171.5" },
    50,
  );
  assert.deepEqual(getDelivery(db, id), {
    id,
    messageId,
    channel: "slack",
    chatId: "C1",
    threadId: "171.5",
    text: "hi",
    file: null,
    status: "pending",
    attempts: 0,
    nextAttemptAt: 50,
    lastError: null,
  });
  assert.equal(getDelivery(db, id + 1), undefined);
});

test("a delivery of a file carries the file with its caption as the text", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const messageId = insertOutbound(db, {
    channel: "telegram",
    chatId: "42",
    senderName: "Andy",
    text: "The chart",
    timestamp: 5,
  });
  const file = { name: "chart.png", mimeType: "image/png", size: 9, stored: "c0ffee" };
  insertOutboundFile(db, { ...file, messageId });
  const id = enqueueDelivery(db, { messageId, channel: "telegram", chatId: "42" }, 50);
  const item = getDelivery(db, id)!;
  assert.equal(item.text, "The chart");
  assert.deepEqual(item.file, { ...file, messageId, removedAt: null });
  assert.deepEqual(
    pendingDeliveries(db).map((pending) => pending.file?.stored),
    ["c0ffee"],
  );
  assert.deepEqual(getOutboundFile(db, messageId), { ...file, messageId, removedAt: null });
  assert.deepEqual([...outboundFilesOf(db, [messageId, messageId + 1]).keys()], [messageId]);
});

test("markRetry counts the attempt and stays pending; markSent and markFailed end it", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const a = reply(db, "a").outboxId;
  const b = reply(db, "b").outboxId;
  const c = reply(db, "c").outboxId;
  markRetry(db, a, "timeout", 5_000);
  assert.deepEqual(
    pendingDeliveries(db).map((d) => d.id),
    [a, b, c],
  );
  const retried = getDelivery(db, a)!;
  assert.equal(retried.status, "pending");
  assert.equal(retried.attempts, 1);
  assert.equal(retried.lastError, "timeout");
  assert.equal(retried.nextAttemptAt, 5_000);

  markSent(db, a, 6_000);
  const sent = getDelivery(db, a)!;
  assert.equal(sent.status, "sent");
  assert.equal(sent.attempts, 2);
  assert.equal(sent.lastError, null);

  markFailed(db, b, "chat not found");
  assert.equal(getDelivery(db, b)!.status, "failed");
  assert.equal(getDelivery(db, b)!.attempts, 1);
  assert.deepEqual(
    pendingDeliveries(db).map((d) => d.id),
    [c],
  );
  assert.deepEqual(
    failedDeliveries(db, 10).map((d) => [d.id, d.lastError]),
    [[b, "chat not found"]],
  );
});

test("sentAfter lists one chat's delivered replies after a message id, in order", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const one = reply(db, "one");
  const two = reply(db, "two");
  const three = reply(db, "three");
  const pending = reply(db, "pending");
  const failed = reply(db, "failed");
  const elsewhere = reply(db, "elsewhere", "c2");
  const otherChannel = reply(db, "other channel", "c1", "telegram");
  for (const item of [three, one, two, elsewhere, otherChannel]) markSent(db, item.outboxId, 200);
  markFailed(db, failed.outboxId, "no");
  assert.ok(pending);
  assert.deepEqual(
    sentAfter(db, "web", "c1", 0).map((m) => m.text),
    ["one", "two", "three"],
  );
  assert.deepEqual(
    sentAfter(db, "web", "c1", one.messageId).map((row) => ({ ...row })),
    [
      { id: two.messageId, text: "two", createdAt: 100 },
      { id: three.messageId, text: "three", createdAt: 100 },
    ],
  );
  assert.deepEqual(sentAfter(db, "web", "c1", three.messageId), []);
});
