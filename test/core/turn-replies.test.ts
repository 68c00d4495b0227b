// TurnReplies on a real store with a recording outbox and a fake preview keeper: the thread a
// turn's output goes to, a preview claimed by text but ended by a file or a question, and /stop.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConversationSession } from "../../src/core/conversation-session.ts";
import type { Delivery, Reply } from "../../src/core/delivery.ts";
import { DiskSpace } from "../../src/core/disk-space.ts";
import type { LiveReplies } from "../../src/core/live-replies.ts";
import type { Questions } from "../../src/core/questions.ts";
import type { TakenFile } from "../../src/core/send-file.ts";
import { TurnReplies } from "../../src/core/turn-replies.ts";
import { createLogger } from "../../src/log.ts";
import { insertInbound } from "../../src/store/messages.ts";
import { addCrabsGroup, openTempStore } from "../helpers/store.ts";

function setup(t: { after(fn: () => void): void }) {
  const store = openTempStore();
  t.after(() => store.close());
  const logger = createLogger("silent");
  const group = addCrabsGroup(store.db, { requiresTrigger: true });
  const message = (platformId: string, text: string, threadId?: string) =>
    insertInbound(store.db, {
      channel: "telegram",
      chatId: "42",
      platformId,
      threadId,
      senderId: "u1",
      senderName: "Uma",
      text,
      timestamp: 1,
    }).id;
  const sent: Reply[] = [];
  const calls: string[] = [];
  const delivery = {
    enqueue(reply: Reply): number {
      sent.push(reply);
      return sent.length;
    },
  } as unknown as Delivery;
  const live = {
    finish: () => calls.push("finish"),
    claim: () => {
      calls.push("claim");
      return 5;
    },
  } as unknown as LiveReplies;
  const questions = {
    ask: async (_group: unknown, question: string, _choices: string[], where: object) => {
      calls.push(`ask ${question} ${JSON.stringify(where)}`);
      return { content: [] };
    },
  } as unknown as Questions;
  let session: ConversationSession | undefined;
  const replies = new TurnReplies({
    db: store.db,
    delivery,
    disk: new DiskSpace({ dir: store.dir, logger }),
    live,
    questions,
    logger,
    sessionOf: () => session,
  });
  const setSession = (next: ConversationSession | undefined) => (session = next);
  return { replies, group, message, sent, calls, setSession };
}

test("a turn's output goes to the thread of the triggering message it answers", (t) => {
  const { replies, group, message } = setup(t);
  const asked = message("p1", "@Andy how deep is the sea?", "thread-a");
  const chatter = message("p2", "nice weather", "thread-b");
  assert.equal(replies.threadOf(group, chatter), "thread-a");
  assert.equal(replies.threadOf(group, asked - 1), undefined);
  assert.equal(replies.threadOf(group, undefined), undefined);
});

test("a turn's text claims its preview; a notice outside a turn touches none", (t) => {
  const { replies, group, message, sent, calls } = setup(t);
  const through = message("p1", "@Andy hi", "thread-a");
  replies.reply(group, "Hello!", through);
  replies.reply(group, "A notice.", undefined);
  assert.deepEqual(calls, ["claim"]);
  assert.deepEqual(
    sent.map((r) => [r.text, r.threadId, r.previewId, r.turnThrough]),
    [
      ["Hello!", "thread-a", 5, through],
      ["A notice.", undefined, undefined, undefined],
    ],
  );
});

test("a file or a question ends the turn's preview instead of claiming it", async (t) => {
  const { replies, group, message, sent, calls } = setup(t);
  const through = message("p1", "@Andy send the map", "thread-a");
  const file = { name: "map.png" } as unknown as TakenFile;
  replies.reply(group, "Here it is.", through, file);
  assert.equal(sent[0]!.previewId, undefined);
  assert.equal(sent[0]!.file, file);
  await replies.ask(group, "Which map?", ["old", "new"], through, undefined);
  assert.deepEqual(calls, [
    "finish",
    "finish",
    `ask Which map? ${JSON.stringify({ threadId: "thread-a", turnThrough: through })}`,
  ]);
});

test("/stop interrupts a busy session and says so; with nothing running it says that", async (t) => {
  const { replies, group, sent, setSession } = setup(t);
  assert.equal(replies.stopTurn(group), false);
  let interrupted = 0;
  setSession({
    busy: true,
    through: 9,
    lastActivity: 0,
    push: () => {},
    interrupt: async () => (interrupted++, true),
    close: async () => {},
  });
  assert.equal(replies.stopTurn(group), true);
  assert.equal(interrupted, 1);
  assert.deepEqual(
    sent.map((r) => [r.text, r.turnThrough]),
    [
      ["Nothing to stop: I am not working on anything.", undefined],
      ["Stopped.", 9],
    ],
  );
});
