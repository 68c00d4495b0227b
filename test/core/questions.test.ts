// ask_user's waiting questions on a real store with a recording channel: the answer that
// reaches the tool, who may answer, the timeout, what the history keeps, and the buttons.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import type { Channel, InboundMessage } from "../../src/channels/channel.ts";
import type { Delivery } from "../../src/core/delivery.ts";
import { Questions, type ClosedQuestion, type OpenQuestion } from "../../src/core/questions.ts";
import { createLogger } from "../../src/log.ts";
import { insertGroup, type Group } from "../../src/store/groups.ts";
import { history, inboundAfter, insertInbound } from "../../src/store/messages.ts";
import { openTempStore } from "../helpers/store.ts";
import { deferred } from "../helpers/wait.ts";

interface Rig {
  questions: Questions;
  group: Group;
  sent: { chatId: string; text: string; choices: { id: string; label: string }[] | null }[];
  closed: { messageIds: string[]; text: string | null }[];
  opened: OpenQuestion[];
  ended: ClosedQuestion[];
  /** Lets a question's timer fire now (the test's own clock, not a wait). */
  expire(): void;
}

function setup(
  t: TestContext,
  options: { buttons?: boolean; allowed?: string[]; requiresTrigger?: boolean } = {},
): Rig & { db: ReturnType<typeof openTempStore>["db"] } {
  const store = openTempStore();
  t.after(() => store.close());
  const sent: Rig["sent"] = [];
  const closed: Rig["closed"] = [];
  let counter = 0;
  const channel: Channel = {
    name: "telegram",
    start: async () => undefined,
    stop: async () => undefined,
    send: async (chatId, text) => {
      sent.push({ chatId, text, choices: null });
      return [`m${++counter}`];
    },
    ...(options.buttons === false
      ? {}
      : {
          sendChoices: async (
            chatId: string,
            text: string,
            choices: { id: string; label: string }[],
          ) => {
            sent.push({ chatId, text, choices });
            return [`m${++counter}`];
          },
          closeChoices: async (_chatId: string, messageIds: string[], text: string | null) => {
            closed.push({ messageIds, text });
          },
        }),
  };
  const group = insertGroup(
    store.db,
    {
      channel: "telegram",
      chatId: "-100",
      folder: "family",
      name: "Family",
      trigger: "@Andy",
      requiresTrigger: options.requiresTrigger ?? true,
      isMain: false,
    },
    Date.now(),
  );
  if (options.allowed)
    store.db
      .prepare("UPDATE groups SET allowed_senders = ? WHERE id = ?")
      .run(JSON.stringify(options.allowed), group.id);
  const refreshed = { ...group, allowedSenders: options.allowed ?? null };
  const opened: OpenQuestion[] = [];
  const ended: ClosedQuestion[] = [];
  let fire: (() => void) | undefined;
  t.mock.method(globalThis, "setTimeout", (fn: () => void) => {
    fire = fn;
    return { unref() {} } as unknown as NodeJS.Timeout;
  });
  const questions = new Questions({
    db: store.db,
    channels: new Map([["telegram", channel]]),
    delivery: {
      inOrder: (_c: string, _id: string, send: () => Promise<unknown>) => send(),
    } as Pick<Delivery, "inOrder">,
    logger: createLogger("silent"),
    timeoutMs: () => 600_000,
    assistantName: () => "Andy",
    opened: (_groupId, question) => opened.push(question),
    closed: (_groupId, question) => ended.push(question),
  });
  return {
    db: store.db,
    questions,
    group: refreshed,
    sent,
    closed,
    opened,
    ended,
    expire: () => fire?.(),
  };
}

function typed(text: string, senderId = "u1", senderName = "Olivia"): InboundMessage {
  return {
    chatId: "-100",
    messageId: `t-${Math.random()}`,
    senderId,
    senderName,
    text,
    timestamp: Date.now(),
    isGroup: true,
    mentionsBot: false,
  };
}

/** Waits until the question is out (its buttons sent). */
async function asked(rig: Rig): Promise<OpenQuestion> {
  const { promise, resolve } = deferred<void>();
  const poll = () => (rig.opened.length ? resolve() : setImmediate(poll));
  poll();
  await promise;
  return rig.opened.at(-1)!;
}

test("a tap by an allowed sender answers the tool, is kept as their message, and closes the buttons", async (t) => {
  const rig = setup(t);
  const answer = rig.questions.ask(rig.group, "Which day?", ["Tuesday", "Friday"], {
    threadId: undefined,
    turnThrough: 7,
  });
  const question = await asked(rig);
  assert.deepEqual(
    rig.sent[0]?.choices?.map((c) => c.label),
    ["Tuesday", "Friday"],
  );
  rig.questions.tap("telegram", {
    type: "choice",
    chatId: "-100",
    messageId: "m1",
    senderId: "u1",
    senderName: "Olivia",
    choiceId: question.choices[1]!.id,
  });
  assert.deepEqual(await answer, { text: 'Olivia chose "Friday".', isError: false });
  assert.deepEqual(rig.closed, [{ messageIds: ["m1"], text: "Which day?\n\n✓ Friday (Olivia)" }]);
  assert.deepEqual(rig.ended, [{ id: question.id, answer: "Friday (Olivia)" }]);

  const transcript = history(rig.db, "telegram", "-100", { limit: 10 });
  assert.deepEqual(
    transcript.map((m) => [m.direction, m.senderName, m.text]),
    [
      ["out", "Andy", "Which day?\n\n1. Tuesday\n2. Friday\n\nReply with a number or a choice."],
      ["in", "Olivia", "Friday"],
    ],
  );
  assert.equal(transcript[1]?.replyTo?.text, "Which day?");
  assert.deepEqual(inboundAfter(rig.db, "telegram", "-100", 0), [], "never a prompt again");
});

test("a tap by a sender outside the allowlist does nothing; the question still waits", async (t) => {
  const rig = setup(t, { allowed: ["u1"] });
  const answer = rig.questions.ask(rig.group, "Go?", ["Yes", "No"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  const question = await asked(rig);
  const tap = (senderId: string, index: number) =>
    rig.questions.tap("telegram", {
      type: "choice",
      chatId: "-100",
      messageId: "m1",
      senderId,
      senderName: senderId,
      choiceId: question.choices[index]!.id,
    });
  tap("stranger", 0);
  assert.equal(rig.closed.length, 0);
  assert.deepEqual(history(rig.db, "telegram", "-100", { limit: 10 }).length, 1);
  tap("u1", 1);
  assert.deepEqual(await answer, { text: 'u1 chose "No".', isError: false });
});

test("a tap on a question that no longer waits (e.g. from before a restart) only drops its buttons", (t) => {
  const rig = setup(t);
  rig.questions.tap("telegram", {
    type: "choice",
    chatId: "-100",
    messageId: "m9",
    senderId: "u1",
    senderName: "Olivia",
    choiceId: "ask:0123abcd:0",
  });
  assert.deepEqual(rig.closed, [{ messageIds: ["m9"], text: null }]);
  assert.equal(history(rig.db, "telegram", "-100", { limit: 10 }).length, 0);
});

test("the timeout gives the tool 'no answer' and closes the buttons", async (t) => {
  const rig = setup(t);
  const answer = rig.questions.ask(rig.group, "Go?", ["Yes", "No"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  await asked(rig);
  rig.expire();
  const result = await answer;
  assert.match(result.text, /^No answer within 10m/);
  assert.deepEqual(rig.closed, [{ messageIds: ["m1"], text: "Go?\n\n(no answer)" }]);
});

test("without buttons the question goes out as numbered text and a typed number answers it", async (t) => {
  const rig = setup(t, { buttons: false });
  const answer = rig.questions.ask(rig.group, "Which day?", ["Tuesday", "Friday"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  await asked(rig);
  assert.deepEqual(rig.sent, [
    {
      chatId: "-100",
      text: "Which day?\n\n1. Tuesday\n2. Friday\n\nReply with a number or a choice.",
      choices: null,
    },
  ]);
  // Chatter that neither picks a choice nor triggers is an ordinary message.
  assert.equal(rig.questions.typedAnswer(rig.group, typed("hmm, let me think")), undefined);
  const message = typed("2");
  const typedAnswer = rig.questions.typedAnswer(rig.group, message)!;
  assert.equal(typedAnswer.index, 1);
  rig.questions.answerTyped(rig.group, typedAnswer, message);
  assert.deepEqual(await answer, { text: 'Olivia chose "Friday".', isError: false });
  assert.equal(rig.closed.length, 0, "no buttons to take off");
});

test("a triggering message that picks no choice answers in its own words", async (t) => {
  const rig = setup(t);
  const answer = rig.questions.ask(rig.group, "Which day?", ["Tuesday", "Friday"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  await asked(rig);
  const message = typed("@Andy neither, make it Sunday");
  const typedAnswer = rig.questions.typedAnswer(rig.group, message)!;
  assert.equal(typedAnswer.index, undefined);
  insertInbound(rig.db, {
    channel: "telegram",
    chatId: "-100",
    platformId: message.messageId,
    senderId: message.senderId,
    senderName: message.senderName,
    text: message.text,
    timestamp: message.timestamp,
    answers: typedAnswer.questionId,
  });
  rig.questions.answerTyped(rig.group, typedAnswer, message);
  assert.deepEqual(await answer, {
    text: 'Olivia did not pick a choice and wrote instead: "@Andy neither, make it Sunday"',
    isError: false,
  });
  assert.deepEqual(inboundAfter(rig.db, "telegram", "-100", 0), []);
});

test("one question at a time per chat; a bad one is refused before anything is sent", async (t) => {
  const rig = setup(t);
  const bad = await rig.questions.ask(rig.group, "Go?", ["Yes"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /between 2 and 5 choices; you gave 1/);
  assert.equal(rig.sent.length, 0);
  const first = rig.questions.ask(rig.group, "Go?", ["Yes", "No"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  await asked(rig);
  const second = await rig.questions.ask(rig.group, "Really?", ["Yes", "No"], {
    threadId: undefined,
    turnThrough: undefined,
  });
  assert.match(second.text, /already waiting/);
  rig.questions.stop();
  assert.match((await first).text, /^No answer: the service is shutting down/);
});

test("a cancelled tool call (its signal aborts) withdraws the question and takes its buttons off", async (t) => {
  const rig = setup(t);
  const call = new AbortController();
  const answer = rig.questions.ask(rig.group, "Go?", ["Yes", "No"], {
    threadId: undefined,
    turnThrough: undefined,
    signal: call.signal,
  });
  await asked(rig);
  call.abort();
  assert.deepEqual(await answer, { text: "No answer: the call was cancelled.", isError: false });
  assert.deepEqual(rig.closed, [{ messageIds: ["m1"], text: "Go?\n\n(no answer)" }]);
  assert.equal(rig.questions.open(rig.group.id), undefined);
});
