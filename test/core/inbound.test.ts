// Inbound messages on a real store: replies to the assistant's own messages (quoted from
// the store, a trigger in groups) and typed answers to a waiting ask_user question.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { AgentIsolation } from "../../src/agent/isolation/agent-isolation.ts";
import type { Channel, InboundMessage } from "../../src/channels/channel.ts";
import { loadConfig } from "../../src/config.ts";
import type { DiskSpace } from "../../src/core/disk-space.ts";
import { Inbound, isStopCommand } from "../../src/core/inbound.ts";
import { PairingCode } from "../../src/core/pairing.ts";
import { Questions } from "../../src/core/questions.ts";
import { dataPaths } from "../../src/data-layout.ts";
import { createLogger } from "../../src/log.ts";
import { insertGroup, type Group } from "../../src/store/groups.ts";
import {
  findInbound,
  inboundAfter,
  insertOutbound,
  setPlatformIds,
} from "../../src/store/messages.ts";
import type { VoiceNotes } from "../../src/transcribe/voice-notes.ts";
import { openTempStore } from "../helpers/store.ts";

function setup(t: TestContext) {
  const store = openTempStore();
  t.after(() => store.close());
  const config = {
    ...loadConfig({ ANTHROPIC_API_KEY: "sk-ant-test-key", DATA_DIR: store.dir }),
    ACK_REACTION: "",
  };
  const dispatched: number[] = [];
  const channel: Channel = {
    name: "email",
    start: async () => undefined,
    stop: async () => undefined,
    send: async () => ["<sent-question@pincer>"],
  };
  const channels = new Map([["email", channel]]);
  const logger = createLogger("silent");
  const questions = new Questions({
    db: store.db,
    channels,
    delivery: { inOrder: (_channel, _chatId, send) => send() },
    logger,
    timeoutMs: () => 600_000,
    assistantName: () => "Andy",
    opened: () => undefined,
    closed: () => undefined,
  });
  const unused = {} as unknown;
  const inbound = new Inbound({
    config,
    db: store.db,
    paths: dataPaths(store.dir),
    isolation: unused as AgentIsolation,
    channels,
    disk: {
      full: false,
      write: (_what: string, write: () => Promise<void>) => write(),
    } as unknown as DiskSpace,
    quota: undefined,
    voiceNotes: unused as VoiceNotes,
    pairing: new PairingCode(),
    logger,
    maxAttachmentBytes: undefined,
    readUpTo: () => 0,
    reply: () => undefined,
    dispatch: (groupId) => dispatched.push(groupId),
    // Reactions are not what these cases look at: a change starts at once.
    afterReplies: (_channel, _chatId, change) => void change(),
    stopTurn: () => false,
    questions,
  });
  const group: Group = insertGroup(
    store.db,
    {
      channel: "email",
      chatId: "team",
      folder: "team",
      name: "Team",
      trigger: "@Andy",
      requiresTrigger: true,
      isMain: false,
    },
    Date.now(),
  );
  const sent = (text: string, platformIds: string[]) => {
    const id = insertOutbound(store.db, {
      channel: "email",
      chatId: "team",
      senderName: "Andy",
      text,
      timestamp: Date.now(),
    });
    setPlatformIds(store.db, id, platformIds);
  };
  const message = (messageId: string, fields: Partial<InboundMessage>): InboundMessage => ({
    chatId: "team",
    messageId,
    senderId: "alice@example.org",
    senderName: "Alice",
    text: "sounds good",
    timestamp: Date.now(),
    isGroup: true,
    mentionsBot: false,
    ...fields,
  });
  return { db: store.db, inbound, questions, group, dispatched, sent, message };
}

test("a reply to one of the assistant's messages triggers and quotes it from the store", async (t) => {
  const { db, inbound, group, dispatched, sent, message } = setup(t);
  sent("The meeting is on Tuesday.", ["<first@pincer>", "<second@pincer>"]);
  await inbound.receive("email", {
    type: "message",
    message: message("<r1@example.org>", {
      replyTo: { messageId: "<second@pincer>", senderName: "", text: "" },
    }),
  });
  const stored = findInbound(db, "email", "team", "<r1@example.org>")!;
  assert.equal(stored.mentionsBot, true);
  assert.deepEqual(stored.replyTo, {
    messageId: "<second@pincer>",
    senderName: "Andy",
    text: "The meeting is on Tuesday.",
  });
  assert.deepEqual(dispatched, [group.id]);
});

test("a reply to someone else's message does not trigger; a quote without text is dropped", async (t) => {
  const { db, inbound, dispatched, message } = setup(t);
  await inbound.receive("email", {
    type: "message",
    message: message("<r2@example.org>", {
      replyTo: { messageId: "<elsewhere@example.org>", senderName: "", text: "" },
    }),
  });
  await inbound.receive("email", {
    type: "message",
    message: message("<r3@example.org>", {
      replyTo: { messageId: "<bob@example.org>", senderName: "Bob", text: "lunch?" },
    }),
  });
  assert.equal(findInbound(db, "email", "team", "<r2@example.org>")!.replyTo, null);
  assert.deepEqual(findInbound(db, "email", "team", "<r3@example.org>")!.replyTo, {
    messageId: "<bob@example.org>",
    senderName: "Bob",
    text: "lunch?",
  });
  assert.deepEqual(dispatched, []);
});

test("a typed answer goes to the waiting question: no new turn, never a prompt", async (t) => {
  const { db, inbound, questions, group, dispatched, message } = setup(t);
  const answer = questions.ask(group, "Which day?", ["Tuesday", "Friday"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  // The question is out once the channel's send has returned.
  await new Promise((resolve) => setImmediate(resolve));
  await inbound.receive("email", {
    type: "message",
    message: message("<a1@example.org>", { text: "friday" }),
  });
  assert.deepEqual(await answer, { text: 'Alice chose "Friday".', isError: false });
  assert.deepEqual(dispatched, []);
  assert.equal(findInbound(db, "email", "team", "<a1@example.org>")?.text, "friday");
  assert.deepEqual(
    inboundAfter(db, "email", "team", 0).map((m) => m.text),
    [],
    "the answer is history, not a prompt",
  );
});

test("/stop is the command as typed or addressed to the bot in a group, nothing longer", () => {
  assert.equal(isStopCommand("/stop"), true);
  assert.equal(isStopCommand(" /STOP "), true);
  assert.equal(isStopCommand("/stop@pincer_bot"), true);
  assert.equal(isStopCommand("/stop the music"), false);
  assert.equal(isStopCommand("please /stop"), false);
});
