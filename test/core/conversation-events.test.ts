// What a conversation's session events become: replies, preview growth, activity, and the
// chat's notice of a failed model call (a budget refusal once a day).
import { test } from "node:test";
import assert from "node:assert/strict";
import { conversationEvents } from "../../src/core/conversation-events.ts";
import { DiskSpace } from "../../src/core/disk-space.ts";
import type { LiveReplies } from "../../src/core/live-replies.ts";
import { createLogger } from "../../src/log.ts";
import { addCrabsGroup, openTempStore } from "../helpers/store.ts";

function setup(t: { after(fn: () => void): void }) {
  const store = openTempStore();
  t.after(() => store.close());
  const logger = createLogger("silent");
  const group = addCrabsGroup(store.db);
  const log: string[] = [];
  const live = {
    blockEnded: () => log.push("block ended"),
    delta: (_group: unknown, text: string, threadOf: () => string | undefined) =>
      log.push(`delta ${text} in ${threadOf()}`),
    status: (_group: unknown, line: string, threadOf: () => string | undefined) =>
      log.push(`status ${line} in ${threadOf()}`),
  } as unknown as LiveReplies;
  const events = conversationEvents(group, () => 12, {
    db: store.db,
    disk: new DiskSpace({ dir: store.dir, logger }),
    logger,
    live,
    replies: {
      reply: (_group, text, through) => log.push(`reply ${text} @${through}`),
      threadOf: (_group, through) => `thread-${through}`,
    },
    timeZone: () => "UTC",
    activity: (groupId, tool, line) => log.push(`activity ${groupId} ${tool} ${line}`),
    modelError: (groupId) => log.push(`model error ${groupId}`),
  });
  return { events, log, group };
}

test("text becomes a reply without its internal part; only internal text ends the block", (t) => {
  const { events, log } = setup(t);
  events.onText("Hi <internal>thinking</internal>there", 3);
  events.onText("<internal>nothing to say</internal>", 3);
  events.onDelta!("Hi", 4);
  assert.deepEqual(log, ["reply Hi there @3", "block ended", "delta Hi in thread-4"]);
});

test("a tool call is activity, and its status line shows in the session's thread", (t) => {
  const { events, log, group } = setup(t);
  events.onToolUse("WebSearch", { query: "tides" });
  // send_message talks to the chat itself: no status line.
  events.onToolUse("mcp__pincer__send_message", { text: "hi" });
  assert.equal(log.length, 3);
  assert.match(log[0]!, new RegExp(`^activity ${group.id} WebSearch \\S`));
  assert.match(log[1]!, /^status .+ in thread-12$/);
  assert.equal(log[2], `activity ${group.id} mcp__pincer__send_message undefined`);
});

test("a failed model call is told to the chat; a budget refusal only once a day", (t) => {
  const { events, log, group } = setup(t);
  events.onModelError("overloaded", "529 overloaded", 5);
  const refusal = [
    "Daily budget of $1 reached for this chat (spent $1.02 today);",
    "model calls resume at midnight UTC.",
  ].join(" ");
  events.onModelError("authentication_failed", `API Error: 403 ${refusal}`, 6);
  events.onModelError("authentication_failed", `API Error: 403 ${refusal}`, 7);
  assert.equal(log.filter((line) => line === `model error ${group.id}`).length, 3);
  const told = log.filter((line) => line.startsWith("reply "));
  assert.equal(told.length, 2);
  assert.match(told[0]!, /overloaded.*@5$/);
  assert.equal(told[1], `reply ${refusal} @6`);
});
