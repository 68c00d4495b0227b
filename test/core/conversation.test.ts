// The conversation path in process, with a fake agent session the test drives by hand:
// what reaches the outbox and when the watermark moves, folding of messages that arrive
// during a turn, failed turns, the idle close and the agent cap. No process, no network.
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { CredentialProxy } from "../../src/agent/credential-proxy.ts";
import type { AgentIsolation } from "../../src/agent/isolation/agent-isolation.ts";
import { dataPaths } from "../../src/data-layout.ts";
import type { SessionEvents } from "../../src/agent/session.ts";
import type { Channel, InboundMessage } from "../../src/channels/channel.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { Delivery, type Reply } from "../../src/core/delivery.ts";
import type { ConversationSession } from "../../src/core/conversation-session.ts";
import { Orchestrator } from "../../src/core/orchestrator.ts";
import { createLogger } from "../../src/log.ts";
import { getGroup, insertGroup, type Group } from "../../src/store/groups.ts";
import { findInbound, getMessage, insertOutbound } from "../../src/store/messages.ts";
import { openTempStore } from "../helpers/store.ts";
import { deferred, waitFor } from "../helpers/wait.ts";

/** A group's agent as the orchestrator sees it; the test plays the model. */
class FakeSession implements ConversationSession {
  readonly pushes: { text: string; through: number }[] = [];
  closed = false;
  lastActivity = Date.now();
  private reported = 0;

  readonly group: Group;
  readonly events: SessionEvents;

  constructor(group: Group, events: SessionEvents) {
    this.group = group;
    this.events = events;
  }

  get through(): number {
    return this.pushes.at(-1)?.through ?? 0;
  }

  get busy(): boolean {
    return this.through > this.reported;
  }

  push(text: string, through: number): void {
    this.pushes.push({ text, through });
  }

  /** The agent says something in the running turn. */
  say(text: string): void {
    this.events.onText(text, this.through);
  }

  /** The agent has answered everything it was given. */
  finishTurn(): void {
    this.reported = this.through;
    this.events.onIdle(this.through);
  }

  /** The process dies. */
  crash(message = "the agent process ended unexpectedly"): void {
    this.closed = true;
    this.events.onExit(new Error(message));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Like the real session: the end is reported once the process has gone.
    await Promise.resolve();
    this.events.onExit(undefined);
  }
}

interface Recorded {
  reply: Reply;
  /** The group's stored watermark when the reply reached the outbox. */
  watermarkThen: number;
}

interface SetupOptions {
  /** The chat platform's calls, in place of the recording fake's. */
  channel?: Partial<Channel>;
  /** The real outbox sender instead of a recorder (which `outbox` then stays empty of). */
  realDelivery?: boolean;
}

function setup(t: TestContext, overrides: Partial<Config> = {}, options: SetupOptions = {}) {
  const store = openTempStore();
  t.after(() => store.close());
  const config: Config = {
    ...loadConfig({ ANTHROPIC_API_KEY: "sk-ant-test-key", DATA_DIR: store.dir }),
    ACK_REACTION: "",
    ...overrides,
  };
  const sessions: FakeSession[] = [];
  const outbox: Recorded[] = [];
  const groups: Group[] = [];
  const reactions: [string, string][] = [];
  const channel = {
    name: "web",
    react: async (_chatId: string, messageId: string, emoji: string) => {
      reactions.push([messageId, emoji]);
    },
    ...options.channel,
  } as unknown as Channel;
  const channels = new Map([["web", channel]]);
  const recorder = {
    enqueue(reply: Reply): number {
      const group = groups.find((g) => g.chatId === reply.chatId)!;
      outbox.push({ reply, watermarkThen: getGroup(store.db, group.id)!.watermark });
      // Stored like a real reply (what a scheduled run and a resumed turn read back).
      return insertOutbound(store.db, { ...reply, senderName: "Andy", timestamp: Date.now() });
    },
    afterReplies(_channel: string, _chatId: string, change: () => Promise<void>): void {
      void change();
    },
  } as unknown as Delivery;
  const delivery = options.realDelivery
    ? new Delivery({
        db: store.db,
        channels,
        logger: createLogger("silent"),
        assistantName: "Andy",
        filesDir: join(store.dir, "outbound-files"),
      })
    : recorder;
  if (options.realDelivery) t.after(() => delivery.stop());
  // The fake session replaces everything that touches processes, credentials and files.
  const unused = {} as unknown;
  const orchestrator = new Orchestrator({
    config,
    db: store.db,
    paths: dataPaths(store.dir),
    proxy: unused as CredentialProxy,
    isolation: unused as AgentIsolation,
    delivery,
    channels,
    logger: createLogger("silent"),
    bundledSkillsDir: store.dir,
    startSession: (group, _resume, events) => {
      const session = new FakeSession(group, events);
      sessions.push(session);
      return session;
    },
  });
  t.after(() => orchestrator.stop(0));
  const addGroup = (chatId: string): Group => {
    const group = insertGroup(
      store.db,
      {
        channel: "web",
        chatId,
        folder: chatId,
        name: chatId,
        trigger: "@Andy",
        requiresTrigger: false,
        isMain: false,
      },
      Date.now(),
    );
    groups.push(group);
    return group;
  };
  let nextId = 1;
  const edit = (group: Group, messageId: string, text: string) =>
    orchestrator.receive("web", {
      type: "edit",
      chatId: group.chatId,
      messageId,
      text,
      timestamp: Date.now(),
    });
  const send = async (group: Group, text: string): Promise<number> => {
    const message: InboundMessage = {
      chatId: group.chatId,
      messageId: `m${nextId++}`,
      senderId: "u1",
      senderName: "Uma",
      text,
      timestamp: Date.now(),
      isGroup: true,
      mentionsBot: false,
    };
    await orchestrator.receive("web", { type: "message", message });
    return findInbound(store.db, "web", group.chatId, message.messageId)!.id;
  };
  const watermark = (group: Group) => getGroup(store.db, group.id)!.watermark;
  return {
    orchestrator,
    sessions,
    outbox,
    addGroup,
    send,
    edit,
    watermark,
    reactions,
    db: store.db,
  };
}

test("the watermark moves past a message only after the turn's replies are in the outbox", async (t) => {
  const { sessions, outbox, addGroup, send, watermark } = setup(t);
  const group = addGroup("chat-a");
  const id = await send(group, "hello there");
  assert.equal(sessions.length, 1);
  const [session] = sessions;
  assert.equal(session!.pushes.length, 1);
  assert.match(session!.pushes[0]!.text, /hello there/);
  assert.equal(session!.pushes[0]!.through, id);

  session!.say("Hi Uma!");
  session!.say("<internal>thinking</internal>");
  assert.deepEqual(
    outbox.map((r) => [r.reply.text, r.reply.turnThrough, r.watermarkThen]),
    [["Hi Uma!", id, 0]],
  );
  assert.equal(watermark(group), 0, "not read yet while the turn runs");

  session!.finishTurn();
  assert.equal(watermark(group), id);
});

test("messages that arrive during a turn are folded into the running session", async (t) => {
  const { sessions, addGroup, send, watermark } = setup(t);
  const group = addGroup("chat-a");
  const first = await send(group, "first");
  const second = await send(group, "second");
  const third = await send(group, "third");
  assert.equal(sessions.length, 1, "one session serves the whole burst");
  const [session] = sessions;
  assert.deepEqual(
    session!.pushes.map((p) => p.through),
    [first, second, third],
  );
  assert.match(session!.pushes[1]!.text, /second/);
  assert.doesNotMatch(session!.pushes[1]!.text, /first/, "each push carries only what is new");

  session!.finishTurn();
  assert.equal(watermark(group), third);
  // A message after the turn reuses the warm session.
  const fourth = await send(group, "fourth");
  assert.equal(sessions.length, 1);
  assert.equal(session!.through, fourth);
});

test("a model error is told to the chat and the turn still ends", async (t) => {
  const { sessions, outbox, addGroup, send, watermark } = setup(t);
  const group = addGroup("chat-a");
  const id = await send(group, "hello");
  const [session] = sessions;
  session!.events.onModelError("rate_limit", "429 too many requests", id);
  session!.events.onModelError("server_error", "API Error: 529 overloaded_error", id);
  assert.deepEqual(
    outbox.map((r) => r.reply.text),
    [
      "Sorry, I hit the model API's rate limit and could not answer. Please try again later.",
      "Sorry, Claude is overloaded right now and did not answer after several tries. Please try again in a few minutes.",
    ],
  );
  session!.finishTurn();
  assert.equal(watermark(group), id, "the failed message is not read again forever");
});

test("a crashed turn is retried with a new session; after three crashes the chat is told", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { orchestrator, sessions, outbox, addGroup, send, watermark } = setup(t);
  const group = addGroup("chat-a");
  const id = await send(group, "hello");

  sessions[0]!.crash("boom one");
  assert.equal(orchestrator.status.agentFailure(), "boom one");
  assert.equal(sessions.length, 1, "the retry waits a moment");
  t.mock.timers.tick(1_000);
  assert.equal(sessions.length, 2);
  assert.deepEqual(
    sessions[1]!.pushes.map((p) => p.through),
    [id],
    "the new session reads the same message again",
  );

  sessions[1]!.crash("boom two");
  t.mock.timers.tick(1_999);
  assert.equal(sessions.length, 2, "the wait grows with each failure");
  t.mock.timers.tick(1);
  assert.equal(sessions.length, 3);
  assert.equal(outbox.length, 0);
  assert.equal(watermark(group), 0);

  sessions[2]!.crash("boom three");
  assert.deepEqual(
    outbox.map((r) => r.reply.text),
    [
      "Sorry, I could not process that: my agent process keeps failing. The error is in the service log.",
    ],
  );
  assert.equal(watermark(group), id, "the message is given up on");
  t.mock.timers.tick(3_000);
  assert.equal(sessions.length, 3, "nothing is left to answer");

  // A turn that ends well clears the failure shown on the setup page.
  await send(group, "again");
  assert.equal(sessions.length, 4);
  sessions[3]!.finishTurn();
  assert.equal(orchestrator.status.agentFailure(), undefined);
});

test("an idle session is closed after AGENT_IDLE_TIMEOUT, and a new message starts another", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { orchestrator, sessions, addGroup, send } = setup(t, { AGENT_IDLE_TIMEOUT: 60_000 });
  const closed: number[] = [];
  orchestrator.on("sessionClosed", (groupId) => closed.push(groupId));
  const group = addGroup("chat-a");
  await send(group, "hello");
  sessions[0]!.finishTurn();
  t.mock.timers.tick(59_999);
  assert.equal(sessions[0]!.closed, false);
  t.mock.timers.tick(1);
  assert.equal(sessions[0]!.closed, true);
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(closed, [group.id]);

  await send(group, "back again");
  assert.equal(sessions.length, 2);
  assert.match(sessions[1]!.pushes[0]!.text, /back again/);
});

test("under the agent cap a group whose turn ended makes way for a waiting group", async (t) => {
  const { orchestrator, sessions, addGroup, send, watermark } = setup(t, {
    MAX_CONCURRENT_AGENTS: 1,
  });
  const a = addGroup("chat-a");
  const b = addGroup("chat-b");
  const fromA = await send(a, "from a");
  const fromB = await send(b, "from b");
  assert.equal(sessions.length, 1, "b waits: the only slot is busy");
  assert.equal(sessions[0]!.group.id, a.id);

  sessions[0]!.finishTurn();
  assert.equal(watermark(a), fromA);
  assert.equal(sessions[0]!.closed, true, "a gives its warm session up for b");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(sessions.length, 2);
  assert.equal(sessions[1]!.group.id, b.id);
  assert.equal(sessions[1]!.through, fromB);
  assert.deepEqual(
    orchestrator.status.agents().map((agent) => agent.groupId),
    [b.id],
  );
});

test("stop() lets the running turn finish, then closes every session", async (t) => {
  const { orchestrator, sessions, addGroup, send, watermark } = setup(t);
  const group = addGroup("chat-a");
  const id = await send(group, "hello");
  let stopped = false;
  const stopping = orchestrator.stop(60_000).then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, "the turn is still running");
  assert.equal(sessions[0]!.closed, false);
  sessions[0]!.finishTurn();
  await stopping;
  assert.equal(watermark(group), id);
  assert.equal(sessions[0]!.closed, true);
  await send(group, "after stop");
  assert.equal(sessions.length, 1, "no new turn starts once stopping");
});

test("stop() waits for every running turn, and no longer than the grace", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { orchestrator, sessions, addGroup, send } = setup(t);
  const a = addGroup("chat-a");
  const b = addGroup("chat-b");
  await send(a, "hello");
  await send(b, "hello");
  let stopped = false;
  const stopping = orchestrator.stop(5_000).then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  sessions[0]!.finishTurn();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, "b's turn still runs");
  t.mock.timers.tick(4_999);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false);
  t.mock.timers.tick(1);
  await stopping;
  assert.deepEqual(
    sessions.map((session) => session.closed),
    [true, true],
    "the turn that outlasted the grace is cut off (and read again after a restart)",
  );
});

test("the bot marks a message 👀 on arrival and ✅ once its turn has ended", async (t) => {
  const { sessions, addGroup, send, reactions } = setup(t, { ACK_REACTION: "👀" });
  const group = addGroup("chat-a");
  await send(group, "hello");
  assert.deepEqual(reactions, [["m1", "👀"]]);
  sessions[0]!.finishTurn();
  assert.deepEqual(reactions, [
    ["m1", "👀"],
    ["m1", "✅"],
  ]);
});

test("a turn's reply goes out before its ✅, and a held reaction holds up no reply", async (t) => {
  // The platform answers no reaction call until the end: as a rate-limited one would.
  const held = deferred();
  t.after(() => held.resolve());
  const calls: string[] = [];
  const { sessions, addGroup, send } = setup(
    t,
    { ACK_REACTION: "👀" },
    {
      realDelivery: true,
      channel: {
        send: async (_chatId: string, text: string) => {
          calls.push(`send ${text}`);
          return [`p${calls.length}`];
        },
        react: async (_chatId: string, messageId: string, emoji: string | null) => {
          calls.push(`react ${messageId} ${emoji}`);
          await held.promise;
        },
      },
    },
  );
  const group = addGroup("chat-a");
  await send(group, "hello");
  sessions[0]!.say("first answer");
  sessions[0]!.finishTurn();
  await waitFor(() => calls.length === 3, "the reply and both reactions");
  assert.deepEqual(calls, ["react m1 👀", "send first answer", "react m1 ✅"]);

  await send(group, "and then?");
  sessions[0]!.say("second answer");
  await waitFor(() => calls.includes("send second answer"), "the reply behind held reactions");
  assert.deepEqual(calls.slice(3), ["react m2 👀", "send second answer"]);
});

test("an edit of an unread message replaces its text; of an answered one, it follows up", async (t) => {
  const { sessions, addGroup, send, edit, db } = setup(t, { MAX_CONCURRENT_AGENTS: 1 });
  const group = addGroup("chat-a");
  const first = await send(group, "what is 2+2");
  sessions[0]!.finishTurn();
  await edit(group, "m1", "what is 3+3");
  assert.equal(sessions[0]!.pushes.length, 2, "the answered message's edit is a new turn");
  assert.match(
    sessions[0]!.pushes[1]!.text,
    /edited their earlier message "what is 2\+2" to:\) what is 3\+3/,
  );
  assert.equal(getMessage(db, first)!.text, "what is 2+2");

  const other = addGroup("chat-b");
  const unread = await send(other, "hi b");
  await edit(other, "m2", "hi b, edited");
  assert.equal(
    getMessage(db, unread)!.text,
    "hi b, edited",
    "b waits for the slot and reads the new text",
  );
});

test("a task run in the conversation waits for the running turn and resolves with its replies", async (t) => {
  const { orchestrator, sessions, addGroup, send } = setup(t);
  const group = addGroup("chat-a");
  await send(group, "hello");
  let outcome: { failed: boolean; texts: string[] } | undefined;
  void orchestrator.runInConversation(group, "task-1@1", "water the plants").then((result) => {
    outcome = result;
  });
  const [session] = sessions;
  assert.equal(sessions.length, 1);
  assert.match(session!.pushes.at(-1)!.text, /water the plants/, "folded into the running turn");
  session!.say("Done: plants watered.");
  session!.finishTurn();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(outcome, { failed: false, texts: ["Done: plants watered."] });
});

test("an isolated task run gets a fresh session that takes a slot of the cap", async (t) => {
  const { orchestrator, sessions, outbox, addGroup, send } = setup(t, {
    MAX_CONCURRENT_AGENTS: 1,
  });
  const group = addGroup("chat-a");
  const run = orchestrator.runIsolated(group, 7, "summarise the news");
  assert.equal(sessions.length, 1);
  const [isolated] = sessions;
  assert.deepEqual(isolated!.pushes, [{ text: "summarise the news", through: 1 }]);
  await send(group, "hello");
  assert.equal(sessions.length, 1, "the chat's own turn waits for the slot");

  isolated!.say("Here is the news.");
  isolated!.finishTurn();
  assert.deepEqual(await run, { failed: false, texts: ["Here is the news."] });
  assert.equal(outbox[0]!.reply.turnThrough, undefined, "not part of any chat turn");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(sessions.length, 2);
  assert.match(sessions[1]!.pushes[0]!.text, /hello/);
});
