// Telegram end to end: the service as a process, grammY inside it polling the loopback Bot
// API fake, the real Agent SDK and Claude Code CLI against the fake model. Every assertion
// is on what the Telegram fake received (or, for prompts, what the model fake received).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { deferred } from "../helpers/wait.ts";
import type { Message, MessageEntity } from "grammy/types";
import {
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
  type FakeReply,
} from "../fakes/anthropic/server.ts";
import {
  startTelegramFake,
  type InjectedUser,
  type RecordedCall,
  type TelegramFake,
} from "../fakes/telegram/server.ts";
import {
  api,
  channelState,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const API_KEY = "sk-ant-e2e-telegram-0000";
const OWNER: InjectedUser = { id: 1001, first_name: "Olivia", username: "olivia" };
const TELEGRAM_LIMIT = 4096;
/** Agent turns include a Claude Code process start; the machine may be slow. */
const REPLY_TIMEOUT = 90_000;

interface ReadyState {
  ready: boolean;
  channels: Record<string, string>;
}

async function readyz(service: Service): Promise<ReadyState> {
  return (await (await fetch(`${service.url}/readyz`)).json()) as ReadyState;
}

function modelEnv(model: AnthropicFake): Record<string, string> {
  return { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: model.url };
}

/** The model fake answers by marker: a test scripts the reply for text only it sends. */
function scriptedModel(rules: { marker: string; reply: FakeReply }[]): Promise<AnthropicFake> {
  return startAnthropicFake((request) => {
    const text = lastUserText(request);
    const rule = rules.find((candidate) => text.includes(candidate.marker));
    return rule?.reply ?? { text: `echo: ${text}` };
  });
}

function promptsWith(model: AnthropicFake, marker: string): string[] {
  return model
    .mainRequests()
    .map((request) => lastUserText(request.body))
    .filter((text) => text.includes(marker));
}

function botMessages(telegram: TelegramFake, chatId: number): Message[] {
  return telegram.sent.filter((message) => message.chat.id === chatId);
}

function waitForBotMessage(
  telegram: TelegramFake,
  chatId: number,
  pattern: RegExp,
): Promise<Message> {
  return waitFor(
    () => botMessages(telegram, chatId).find((message) => pattern.test(message.text ?? "")),
    `a bot message matching ${pattern} in chat ${chatId}`,
    REPLY_TIMEOUT,
  );
}

function callsFor(telegram: TelegramFake, method: string, chatId: number): RecordedCall[] {
  return telegram.calls.filter(
    (call) => call.method === method && Number(call.params.chat_id) === chatId,
  );
}

function reactionEmoji(call: RecordedCall): string[] {
  const reaction = call.params.reaction as { type: string; emoji: string }[] | undefined;
  return (reaction ?? []).map((item) => item.emoji);
}

function entityText(message: Message, entity: MessageEntity): string {
  return (message.text ?? "").slice(entity.offset, entity.offset + entity.length);
}

/** The current long poll is open on the fake: a drop now is a drop mid-request. */
function longPollOpen(telegram: TelegramFake): boolean {
  const last = telegram.calls.findLast((call) => call.method === "getUpdates");
  return last !== undefined && last.status === undefined && Number(last.params.timeout) > 0;
}

describe("telegram end to end", () => {
  // One service for the cases below (a start costs seconds). node:test runs them in the order
  // written; each uses chats of its own, so none relies on what an earlier one left behind.
  const rules: { marker: string; reply: FakeReply }[] = [];
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service;

  before(async () => {
    model = await scriptedModel(rules);
    telegram = await startTelegramFake({ botUsername: "pincer_test_bot" });
    service = await startService({
      dataDir,
      env: {
        ...modelEnv(model),
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        MAIN_CHAT: `telegram:${OWNER.id}`,
      },
    });
    await waitFor(
      async () => (await readyz(service)).channels.telegram === "connected" || undefined,
      "telegram connected",
    );
  });
  after(async () => {
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  /** Makes the fake see a chat (its first message is kept, unanswered) and registers it. */
  async function registerChat(
    chatId: number,
    from: InjectedUser,
    group: { title: string; requiresTrigger: boolean } | null,
  ): Promise<void> {
    telegram.injectMessage({
      chatId,
      from,
      text: "hello, is anyone here?",
      ...(group ? { chatType: "supergroup" as const, chatTitle: group.title } : {}),
    });
    await waitFor(async () => {
      const response = await api(service, "/api/groups");
      const { discovered } = (await response.json()) as {
        discovered: { channel: string; chatId: string }[];
      };
      return discovered.some((chat) => chat.channel === "telegram" && chat.chatId === `${chatId}`)
        ? true
        : undefined;
    }, `chat ${chatId} to be discovered`);
    const response = await api(service, "/api/groups", {
      method: "POST",
      body: JSON.stringify({
        chat: `telegram:${chatId}`,
        requiresTrigger: group?.requiresTrigger ?? false,
      }),
    });
    assert.equal(response.status, 201, await response.text());
  }

  it("answers the owner's direct message in the MAIN_CHAT", async () => {
    telegram.injectMessage({
      chatId: OWNER.id,
      from: OWNER,
      text: "owner here: what is on today?",
    });
    const reply = await waitForBotMessage(telegram, OWNER.id, /owner here: what is on today\?/);
    assert.match(reply.text ?? "", /^echo: <message from="Olivia"/);
    assert.equal(botMessages(telegram, OWNER.id).length, 1);
  });

  it("pairs a direct message with /pair and then answers it, and nothing before", async () => {
    const chatId = 1010;
    const stranger: InjectedUser = { id: chatId, first_name: "Pat" };
    telegram.injectMessage({ chatId, from: stranger, text: "hello? pincer-unpaired-hello" });
    telegram.injectMessage({ chatId, from: stranger, text: "/pair WRONGCODE" });
    const { pairingCode } = (await (await api(service, "/api/status")).json()) as {
      pairingCode: string;
    };
    telegram.injectMessage({ chatId, from: stranger, text: `/pair ${pairingCode}` });
    await waitForBotMessage(telegram, chatId, /^Paired: this chat is now your main chat/);
    telegram.injectMessage({ chatId, from: stranger, text: "paired now: pincer-after-pairing" });
    await waitForBotMessage(telegram, chatId, /pincer-after-pairing/);

    assert.deepEqual(
      botMessages(telegram, chatId).map(
        (message) => /^(Paired|echo)/.exec(message.text ?? "")?.[1],
      ),
      ["Paired", "echo"],
      "exactly the pairing confirmation and one answer",
    );
    const [prompt, ...others] = promptsWith(model, "pincer-after-pairing");
    assert.equal(others.length, 0);
    assert.doesNotMatch(prompt!, new RegExp(pairingCode), "the used code is not in the prompt");
    assert.doesNotMatch(prompt!, /pincer-unpaired-hello/, "messages before pairing stay unread");
    const status = (await (await api(service, "/api/status")).json()) as { pairingCode: string };
    assert.notEqual(status.pairingCode, pairingCode, "a used code is replaced");
  });

  it("keeps untriggered group messages as context and answers @Andy and a real mention", async () => {
    const chatId = -1_002_000_000_001;
    const bob: InjectedUser = { id: 2001, first_name: "Bob" };
    const carol: InjectedUser = { id: 2002, first_name: "Carol" };
    await registerChat(chatId, bob, { title: "Book club", requiresTrigger: true });

    const context = telegram.injectMessage({
      chatId,
      from: carol,
      text: "the secret word is pincer-papaya",
    });
    telegram.injectMessage({ chatId, from: bob, text: "@Andy what is the secret word?" });
    const first = await waitForBotMessage(telegram, chatId, /what is the secret word/);
    assert.match(first.text ?? "", /pincer-papaya/, "the context message reached the model");
    const [typedPrompt] = promptsWith(model, "what is the secret word");
    assert.match(typedPrompt!, /<message from="Carol"[^>]*>the secret word is pincer-papaya/);
    assert.equal(promptsWith(model, "pincer-papaya").length, 1, "no turn for the context alone");

    telegram.injectMessage({ chatId, from: carol, text: "also: pincer-mango" });
    const mention = telegram.injectMessage({
      chatId,
      from: bob,
      text: "@pincer_test_bot and the fruit?",
    });
    assert.ok(mention.entities?.some((entity) => entity.type === "mention"));
    await waitForBotMessage(telegram, chatId, /and the fruit\?/);
    const [mentionPrompt] = promptsWith(model, "and the fruit?");
    assert.match(mentionPrompt!, /pincer-mango/);
    assert.match(mentionPrompt!, /@Andy and the fruit\?/, "the bot's handle reads as the trigger");

    assert.equal(botMessages(telegram, chatId).length, 2, "one reply per trigger, none else");
    assert.deepEqual(telegram.reactionsOn(chatId, context.message_id), []);
  });

  it("splits a 10,000-character Markdown reply into HTML messages within Telegram's limit", async () => {
    const chatId = 1003;
    await registerChat(chatId, { id: chatId, first_name: "Dana" }, null);
    const prose = (label: string, count: number) =>
      Array.from(
        { length: count },
        (_, i) =>
          `Paragraph ${label}${i}: the harbour was quiet and **bold-${label}${i}** boats waited for the tide to turn again, as they always did.`,
      ).join("\n\n");
    const code = Array.from(
      { length: 110 },
      (_, i) => `    print("code line ${String(i).padStart(3, "0")}", value * ${i})`,
    );
    const reply = [
      "**Quarterly report**",
      prose("a", 25),
      ["```python", ...code, "```"].join("\n"),
      prose("b", 25),
    ].join("\n\n");
    assert.ok(reply.length >= 10_000, `reply is ${reply.length} characters`);
    rules.push({ marker: "pincer-long-report", reply: { text: reply } });

    telegram.injectMessage({
      chatId,
      from: { id: chatId, first_name: "Dana" },
      text: "pincer-long-report please",
    });
    await waitForBotMessage(telegram, chatId, /Paragraph b24/);
    const messages = botMessages(telegram, chatId);
    assert.ok(messages.length >= 3, `${messages.length} messages`);
    for (const message of messages) {
      assert.ok((message.text ?? "").length <= TELEGRAM_LIMIT, `${message.text?.length} chars`);
    }
    for (const call of callsFor(telegram, "sendMessage", chatId)) {
      assert.equal(call.params.parse_mode, "HTML");
      assert.equal(call.status, 200);
    }

    const first = messages[0]!;
    assert.ok(first.text!.startsWith("Quarterly report"), "no Markdown markers are left");
    assert.ok(
      first.entities?.some((e) => e.type === "bold" && entityText(first, e) === "Quarterly report"),
    );
    const visible = messages.map((message) => message.text).join("\n");
    assert.doesNotMatch(visible, /\*\*|```/);
    for (const label of ["a0", "a24", "b0", "b24"]) {
      assert.equal(visible.split(`bold-${label}`).length - 1, 1, `bold-${label} appears once`);
      const holder = messages.find((message) => message.text!.includes(`bold-${label}`))!;
      assert.ok(
        holder.entities?.some(
          (e) => e.type === "bold" && entityText(holder, e) === `bold-${label}`,
        ),
        `bold-${label} is bold`,
      );
    }
    // The code block is cut across messages; every part renders as Python code on its own.
    const codeMessages = messages.filter((message) => message.text!.includes("code line"));
    assert.ok(codeMessages.length >= 2, "the code block spans a split");
    for (const message of codeMessages) {
      const pre = message.entities?.filter((e) => e.type === "pre") ?? [];
      assert.equal(pre.length, 1);
      assert.equal((pre[0] as { language?: string }).language, "python");
      const inCode = entityText(message, pre[0]!);
      for (const line of message.text!.split("\n").filter((l) => l.includes("code line"))) {
        assert.ok(inCode.includes(line), `"${line}" is inside the code block`);
      }
    }
    const codeLines = visible.split("\n").filter((line) => line.includes("code line"));
    assert.deepEqual(codeLines, code, "each code line once, in order, with its indentation");
  });

  it("still answers after the fake drops every connection mid-conversation", async () => {
    const chatId = 1004;
    const from: InjectedUser = { id: chatId, first_name: "Eve" };
    await registerChat(chatId, from, null);
    // The model answers only once the connection is gone (released below).
    const answer = deferred();
    rules.push({
      marker: "pincer-slow-drop",
      reply: { text: "answer that outlived the drop", until: answer.promise },
    });
    const failuresBefore = service.output().match(/telegram polling failed/g)?.length ?? 0;
    // The reply's first send is cut off too, so it must be retried over a new connection.
    telegram.failNext("sendMessage", { dropConnection: true });

    telegram.injectMessage({ chatId, from, text: "pincer-slow-drop: think about it" });
    await waitFor(() => promptsWith(model, "pincer-slow-drop")[0], "the slow model call");
    await waitFor(() => longPollOpen(telegram) || undefined, "an open long poll");
    const mark = telegram.calls.length;
    telegram.dropConnections();
    await waitFor(
      () => telegram.calls.some((c) => c.seq >= mark && c.method === "getUpdates") || undefined,
      "polling to resume",
    );
    answer.resolve();

    await waitForBotMessage(telegram, chatId, /answer that outlived the drop/);
    const sends = callsFor(telegram, "sendMessage", chatId);
    assert.deepEqual(
      sends.map((call) => call.status),
      [0, 200],
      "the dropped send was retried once",
    );
    assert.equal(botMessages(telegram, chatId).length, 1);
    assert.ok(
      (service.output().match(/telegram polling failed/g)?.length ?? 0) > failuresBefore,
      "the adapter saw the poll fail",
    );
    await waitFor(
      async () => (await readyz(service)).channels.telegram === "connected" || undefined,
      "telegram connected again",
    );
  });

  it("answers exactly once after five reconnects", async () => {
    const chatId = 1005;
    const from: InjectedUser = { id: chatId, first_name: "Finn" };
    await registerChat(chatId, from, null);
    const failuresBefore = service.output().match(/telegram polling failed/g)?.length ?? 0;
    for (let round = 1; round <= 5; round++) {
      await waitFor(() => longPollOpen(telegram) || undefined, `an open long poll (${round})`);
      const mark = telegram.calls.length;
      telegram.dropConnections();
      await waitFor(
        () => telegram.calls.some((c) => c.seq >= mark && c.method === "getUpdates") || undefined,
        `polling to resume (${round})`,
      );
    }
    assert.ok(
      (service.output().match(/telegram polling failed/g)?.length ?? 0) >= failuresBefore + 5,
      "five polls failed",
    );

    telegram.injectMessage({ chatId, from, text: "pincer-after-five: are you there?" });
    await waitForBotMessage(telegram, chatId, /pincer-after-five/);
    // A second exchange: any duplicate of the first reply would be delivered before it.
    telegram.injectMessage({ chatId, from, text: "pincer-second-question" });
    await waitForBotMessage(telegram, chatId, /pincer-second-question/);
    const texts = botMessages(telegram, chatId).map((message) => message.text ?? "");
    assert.equal(texts.length, 2, JSON.stringify(texts));
    assert.equal(promptsWith(model, "pincer-after-five").length, 1, "one model turn");
    const conflicts = telegram.calls.filter((c) => c.method === "getUpdates" && c.status === 409);
    assert.equal(conflicts.length, 0, "never two polling loops at once");
  });

  it("lets an edit made before the trigger change what the agent reads", async () => {
    const chatId = -1_002_000_000_006;
    const gina: InjectedUser = { id: 2006, first_name: "Gina" };
    await registerChat(chatId, gina, { title: "Planning", requiresTrigger: true });
    const note = telegram.injectMessage({
      chatId,
      from: gina,
      text: "the meeting is at pincer-three-pm",
    });
    telegram.injectEdit({
      chatId,
      messageId: note.message_id,
      text: "the meeting is at pincer-five-pm",
    });
    telegram.injectMessage({ chatId, from: gina, text: "@Andy when is the meeting?" });
    await waitForBotMessage(telegram, chatId, /when is the meeting/);
    const [prompt] = promptsWith(model, "when is the meeting");
    assert.match(prompt!, /edited="true">the meeting is at pincer-five-pm/);
    assert.doesNotMatch(prompt!, /pincer-three-pm/);
  });

  it("passes an edit of an answered message to the agent as a follow-up", async () => {
    const chatId = 1016;
    const from: InjectedUser = { id: chatId, first_name: "Hugo" };
    await registerChat(chatId, from, null);
    const said = telegram.injectMessage({ chatId, from, text: "my colour is pincer-blue" });
    await waitForBotMessage(telegram, chatId, /pincer-blue/);
    telegram.injectEdit({ chatId, messageId: said.message_id, text: "my colour is pincer-green" });
    await waitForBotMessage(telegram, chatId, /pincer-green/);
    const [prompt] = promptsWith(model, "pincer-green");
    assert.match(
      prompt!,
      /\(edited their earlier message "my colour is pincer-blue" to:\) my colour is pincer-green/,
    );
  });

  it("acknowledges with 👀 and shows typing, then marks the outcome (👍 for ✅, 👎 for ❌)", async () => {
    const chatId = 1007;
    const from: InjectedUser = { id: chatId, first_name: "Ivy" };
    await registerChat(chatId, from, null);
    rules.push({ marker: "pincer-ack-ok", reply: { text: "acknowledged and done" } });
    rules.push({ marker: "pincer-ack-fail", reply: { error: 529 } });
    const reactionsTo = (message: Message) =>
      callsFor(telegram, "setMessageReaction", chatId).filter(
        (call) => Number(call.params.message_id) === message.message_id,
      );

    const ok = telegram.injectMessage({ chatId, from, text: "pincer-ack-ok please" });
    await waitForBotMessage(telegram, chatId, /acknowledged and done/);
    await waitFor(() => reactionsTo(ok)[1], "the reaction for a finished turn");
    assert.deepEqual(reactionsTo(ok).map(reactionEmoji), [["👀"], ["👍"]]);
    assert.ok(
      reactionsTo(ok).every((call) => call.status === 200),
      "Telegram accepted both",
    );
    assert.deepEqual(telegram.reactionsOn(chatId, ok.message_id), [{ type: "emoji", emoji: "👍" }]);
    const typing = callsFor(telegram, "sendChatAction", chatId);
    assert.ok(typing.length >= 1 && typing.every((call) => call.params.action === "typing"));

    const failing = telegram.injectMessage({ chatId, from, text: "pincer-ack-fail please" });
    await waitForBotMessage(telegram, chatId, /overloaded/);
    await waitFor(() => reactionsTo(failing)[1], "the reaction for a failed turn");
    assert.deepEqual(reactionsTo(failing).map(reactionEmoji), [["👀"], ["👎"]]);
    assert.deepEqual(telegram.reactionsOn(chatId, failing.message_id), [
      { type: "emoji", emoji: "👎" },
    ]);
  });

  it("waits out a 429 on a reply and on a later chunk, sending each part once", async () => {
    const chatId = 1008;
    const from: InjectedUser = { id: chatId, first_name: "Jack" };
    await registerChat(chatId, from, null);
    const tooMany = (skip: number) => ({
      status: 429,
      description: "Too Many Requests: retry after 1",
      retry_after: 1,
      skip,
    });

    telegram.failNext("sendMessage", tooMany(0));
    telegram.injectMessage({ chatId, from, text: "pincer-rate-limited reply" });
    await waitForBotMessage(telegram, chatId, /pincer-rate-limited/);
    assert.deepEqual(
      callsFor(telegram, "sendMessage", chatId).map((call) => call.status),
      [429, 200],
    );

    const long = Array.from({ length: 60 }, (_, i) => `Sentence ${i} of a long answer.`.padEnd(99));
    rules.push({ marker: "pincer-two-chunks", reply: { text: long.join("\n\n") } });
    telegram.failNext("sendMessage", tooMany(1));
    telegram.injectMessage({ chatId, from, text: "pincer-two-chunks please" });
    await waitForBotMessage(telegram, chatId, /Sentence 59 /);
    assert.deepEqual(
      callsFor(telegram, "sendMessage", chatId).map((call) => call.status),
      [429, 200, 200, 429, 200],
    );
    const texts = botMessages(telegram, chatId).map((message) => message.text ?? "");
    assert.equal(texts.length, 3, "one single reply and two chunks");
    assert.equal(texts.join("\n").split("Sentence 0 ").length - 1, 1, "the first chunk once");
  });
});

describe("telegram with a rejected token", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service;

  before(async () => {
    model = await startAnthropicFake();
    telegram = await startTelegramFake();
    service = await startService({
      dataDir,
      env: {
        ...modelEnv(model),
        TELEGRAM_BOT_TOKEN: "987654321:AAWrongTokenWrongTokenWrongToken_xyz",
        TELEGRAM_API_ROOT: telegram.apiRoot,
      },
    });
  });
  after(async () => {
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("reports auth_failed in /readyz while the web chat keeps answering", async () => {
    const state = await waitFor(async () => {
      const ready = await readyz(service);
      return ready.channels.telegram === "auth_failed" ? ready : undefined;
    }, "auth_failed");
    assert.equal(state.ready, true);
    assert.match((await channelState(service, "telegram"))?.detail ?? "", /token/i);
    assert.ok(telegram.calls.some((call) => call.method === "getMe" && call.status === 401));

    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "web still works?");
    const reply = await waitFor(() => sse.messages()[0], "the web reply", REPLY_TIMEOUT);
    assert.match(reply.text, /web still works\?/);
    await sse.close();
    assert.equal(telegram.calls.filter((call) => call.method === "getUpdates").length, 0);
    assert.doesNotMatch(service.output(), /AAWrongTokenWrongToken/, "the token is not logged");
  });
});

describe("telegram not configured", () => {
  const dataDir = tempDir();
  let service: Service;

  before(async () => {
    service = await startService({ dataDir });
  });
  after(async () => {
    await service?.stop();
    removeDir(dataDir);
  });

  it("shows not_configured in /readyz, naming the variable to set", async () => {
    const state = await readyz(service);
    assert.equal(state.ready, true);
    assert.equal(state.channels.telegram, "not_configured");
    assert.match((await channelState(service, "telegram"))?.detail ?? "", /TELEGRAM_BOT_TOKEN/);
  });
});
