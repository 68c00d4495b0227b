import { test } from "node:test";
import assert from "node:assert/strict";
import { senderAllowed, SYSTEM_SENDER_PREFIX, triggers } from "../../src/core/router.ts";
import type { Group } from "../../src/store/groups.ts";
import { inboundAfter, insertInbound } from "../../src/store/messages.ts";
import { openTempStore } from "../helpers/store.ts";

function group(overrides: Partial<Group> = {}): Group {
  return {
    id: 1,
    channel: "telegram",
    chatId: "-100",
    folder: "family",
    name: "Family",
    trigger: "@Andy",
    requiresTrigger: true,
    isMain: false,
    allowedSenders: null,
    dropOthers: false,
    watermark: 0,
    agentUid: null,
    model: null,
    effort: null,
    streaming: null,
    createdAt: 0,
    ...overrides,
  };
}

test("senderAllowed: no allowlist admits everyone, an allowlist only its members", () => {
  assert.equal(senderAllowed(group(), "anyone"), true);
  const restricted = group({ allowedSenders: ["u1", "u2"] });
  assert.equal(senderAllowed(restricted, "u2"), true);
  assert.equal(senderAllowed(restricted, "u3"), false);
  assert.equal(senderAllowed(group({ allowedSenders: [] }), "u1"), false);
});

test("triggers: a group that requires the trigger answers only when mentioned", () => {
  const g = group();
  assert.equal(triggers(g, { text: "just chatting", senderId: "u1" }), false);
  assert.equal(triggers(g, { text: "@Andy what time is it", senderId: "u1" }), true);
});

test("triggers: the group's own trigger word counts, not the default", () => {
  const g = group({ trigger: "@Bob" });
  assert.equal(triggers(g, { text: "@Andy hi", senderId: "u1" }), false);
  assert.equal(triggers(g, { text: "@bob hi", senderId: "u1" }), true);
});

test("triggers: main and trigger-free groups answer every allowed message", () => {
  assert.equal(triggers(group({ isMain: true }), { text: "hello", senderId: "u1" }), true);
  assert.equal(
    triggers(group({ requiresTrigger: false }), { text: "hello", senderId: "u1" }),
    true,
  );
});

test("triggers: a sender outside the allowlist never triggers, even in main", () => {
  const message = { text: "@Andy do it", senderId: "stranger" };
  assert.equal(triggers(group({ allowedSenders: ["owner"] }), message), false);
  assert.equal(triggers(group({ allowedSenders: ["owner"], isMain: true }), message), false);
  assert.equal(
    triggers(group({ allowedSenders: ["owner"] }), { ...message, senderId: "owner" }),
    true,
  );
});

test("Pincer's own messages (scheduled runs) pass any allowlist", () => {
  const restricted = group({ allowedSenders: ["owner"] });
  const scheduler = `${SYSTEM_SENDER_PREFIX}scheduler`;
  assert.equal(senderAllowed(restricted, scheduler), true);
  assert.equal(triggers(restricted, { text: "@Andy run the task", senderId: scheduler }), true);
  assert.equal(senderAllowed(restricted, "pincer"), false);
});

test("triggers: a real mention of the bot, or a reply to it, triggers without the trigger word", () => {
  const g = group();
  // Telegram's "/status@pincer_bot" and a reply to one of the bot's messages carry no "@Andy".
  assert.equal(triggers(g, { text: "/status", senderId: "u1", mentionsBot: true }), true);
  assert.equal(triggers(g, { text: "and tomorrow?", senderId: "u1", mentionsBot: false }), false);
  // The allowlist still comes first.
  const restricted = group({ allowedSenders: ["owner"] });
  assert.equal(
    triggers(restricted, { text: "hi", senderId: "stranger", mentionsBot: true }),
    false,
  );
});

test("a stored message keeps its mention of the bot, so the group's turn still starts from the store", (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  const base = { channel: "telegram", chatId: "-100", senderId: "u1", senderName: "Uma" };
  insertInbound(store.db, {
    ...base,
    platformId: "1",
    text: "/status",
    mentionsBot: true,
    timestamp: 1,
  });
  insertInbound(store.db, { ...base, platformId: "2", text: "hello", timestamp: 2 });
  const [mentioning, plain] = inboundAfter(store.db, "telegram", "-100", 0);
  assert.equal(triggers(group(), mentioning!), true);
  assert.equal(triggers(group(), plain!), false);
});
