import { test } from "node:test";
import assert from "node:assert/strict";
import { BACKLOG_LIMITS, backlogPrompt } from "../../src/core/backlog.ts";
import { formatMessages } from "../../src/core/format.ts";
import type { StoredMessage } from "../../src/store/messages.ts";

function messages(count: number, text = (i: number) => `message ${i}`): StoredMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    channel: "telegram",
    chatId: "-100",
    direction: "in",
    platformId: `m${i + 1}`,
    threadId: null,
    senderId: "u1",
    senderName: "Alice",
    text: text(i + 1),
    replyTo: null,
    attachments: null,
    timestamp: Date.UTC(2025, 0, 15, 9, 30) + i * 1000,
    editedAt: null,
    deleted: false,
    turnThrough: null,
  }));
}

test("a backlog within the limits is the plain prompt, without a note", () => {
  const pending = messages(5);
  assert.equal(backlogPrompt(pending, "UTC"), formatMessages(pending, "UTC"));
});

test("a flood keeps the newest messages and says how many earlier ones were left out", () => {
  const pending = messages(BACKLOG_LIMITS.messages + 50);
  const prompt = backlogPrompt(pending, "UTC");
  const [note, ...rest] = prompt.split("\n");
  assert.match(
    note!,
    /^<system-note>50 earlier unanswered messages were left out .*search_history/,
  );
  assert.equal(rest.join("\n"), formatMessages(pending.slice(50), "UTC"));
});

test("the character cap counts formatted messages, newest first", () => {
  const pending = messages(10, (i) => `${i}:${"x".repeat(98)}`);
  const one = formatMessages([pending[0]!], "UTC").length + 1;
  const prompt = backlogPrompt(pending, "UTC", { messages: 100, chars: one * 3 });
  assert.match(prompt, /^<system-note>7 earlier unanswered messages were left out/);
  assert.equal(prompt.split("\n").slice(1).join("\n"), formatMessages(pending.slice(7), "UTC"));
});

test("the newest message is kept even when it alone is over the character cap", () => {
  const pending = messages(3, () => "y".repeat(500));
  const prompt = backlogPrompt(pending, "UTC", { messages: 100, chars: 100 });
  assert.match(prompt, /^<system-note>2 earlier unanswered messages were left out/);
  assert.equal(prompt.split("\n").slice(1).join("\n"), formatMessages(pending.slice(2), "UTC"));
});

test("one left-out message is said in the singular", () => {
  const prompt = backlogPrompt(messages(3), "UTC", { messages: 2, chars: 100_000 });
  assert.match(prompt, /^<system-note>1 earlier unanswered message was left out/);
});
