// ask_user end to end: the service as a process, the fake model calling the tool, the
// answer given by a tap on Telegram's fake, a typed reply or the web chat's button, and
// the model's next request carrying it. Also: a tap by a sender who may not answer is
// ignored, the timeout answers "no answer", and a reply to the bot triggers in a group.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Message } from "grammy/types";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  toolResults,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import {
  startTelegramFake,
  type InjectedUser,
  type TelegramFake,
} from "../fakes/telegram/server.ts";
import {
  api,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const OWNER: InjectedUser = { id: 3001, first_name: "Olivia" };
const STRANGER: InjectedUser = { id: 3002, first_name: "Sam" };
const GROUP_CHAT = -100_300;
/** Agent turns include a Claude Code process start; the machine may be slow. */
const REPLY_TIMEOUT = 90_000;

/**
 * "ask-<case>" in a message makes the model call ask_user; the tool's result comes back
 * as the text "got: <result>", so the chat and the test see what reached the model.
 */
function askingModel(): Promise<AnthropicFake> {
  return startAnthropicFake((request) => {
    if (isToolResultTurn(request)) {
      return { text: `got: ${JSON.stringify(toolResults(request)[0]?.content)}` };
    }
    const text = lastUserText(request);
    const marker = /ask-(\w+)/.exec(text)?.[1];
    if (marker)
      return {
        toolUse: {
          name: "mcp__pincer__ask_user",
          input: { question: `Which day? (${marker})`, choices: ["Tuesday", "Friday"] },
        },
      };
    return { text: `echo: ${text}` };
  });
}

/** The tool result the model received for the question "Which day? (<marker>)". */
function toolResultFor(model: AnthropicFake, marker: string): Promise<string> {
  return waitFor(
    () =>
      model
        .mainRequests()
        .filter(
          (request) =>
            isToolResultTurn(request.body) &&
            JSON.stringify(request.body.messages.at(-2)).includes(`(${marker})`),
        )
        .map((request) => JSON.stringify(toolResults(request.body)[0]?.content))[0],
    `the model to get the answer to ${marker}`,
    REPLY_TIMEOUT,
  );
}

function botMessage(telegram: TelegramFake, chatId: number, pattern: RegExp): Promise<Message> {
  return waitFor(
    () =>
      telegram.sent.find(
        (message) => message.chat.id === chatId && pattern.test(message.text ?? ""),
      ),
    `a bot message matching ${pattern} in chat ${chatId}`,
    REPLY_TIMEOUT,
  );
}

function buttonsOf(message: Message): { text: string; callback_data: string }[] {
  const markup = message.reply_markup as
    { inline_keyboard: { text: string; callback_data: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat();
}

describe("ask_user end to end", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service;

  before(async () => {
    model = await askingModel();
    telegram = await startTelegramFake({ botUsername: "pincer_test_bot" });
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-e2e-ask-0000",
        ANTHROPIC_BASE_URL: model.url,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        MAIN_CHAT: `telegram:${OWNER.id}`,
        ACK_REACTION: "",
      },
    });
    await waitFor(
      async () =>
        (
          (await (await fetch(`${service.url}/readyz`)).json()) as {
            channels: Record<string, string>;
          }
        ).channels.telegram === "connected" || undefined,
      "telegram connected",
    );
  });
  after(async () => {
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("a tap on Telegram reaches the tool; a sender outside the allowlist is ignored; the question shows the answer", async () => {
    telegram.injectMessage({
      chatId: GROUP_CHAT,
      chatType: "supergroup",
      chatTitle: "Family",
      from: OWNER,
      text: "hello all",
    });
    await waitFor(async () => {
      const { discovered } = (await (await api(service, "/api/groups")).json()) as {
        discovered: { chatId: string }[];
      };
      return discovered.some((chat) => chat.chatId === String(GROUP_CHAT)) || undefined;
    }, "the group to be discovered");
    const registered = await api(service, "/api/groups", {
      method: "POST",
      body: JSON.stringify({ chat: `telegram:${GROUP_CHAT}`, requiresTrigger: true }),
    });
    const body = await registered.text();
    assert.equal(registered.status, 201, body);
    const { group } = JSON.parse(body) as { group: { folder: string } };
    const patched = await api(service, `/api/groups/${group.folder}`, {
      method: "PATCH",
      body: JSON.stringify({ allowedSenders: [String(OWNER.id)] }),
    });
    assert.equal(patched.status, 200, await patched.text());

    telegram.injectMessage({
      chatId: GROUP_CHAT,
      chatType: "supergroup",
      from: OWNER,
      text: "@pincer_test_bot ask-tap",
    });
    const question = await botMessage(telegram, GROUP_CHAT, /^Which day\? \(tap\)$/);
    const [tuesday, friday] = buttonsOf(question);
    assert.deepEqual([tuesday?.text, friday?.text], ["Tuesday", "Friday"], "one button per choice");

    // The stranger's tap is acknowledged (the spinner ends) and nothing else happens.
    const strangerTap = telegram.injectCallbackQuery({
      chatId: GROUP_CHAT,
      messageId: question.message_id,
      from: STRANGER,
      data: tuesday!.callback_data,
    });
    await waitFor(
      () => telegram.answeredCallbacks.includes(strangerTap) || undefined,
      "the stranger's tap to be answered",
    );
    assert.equal(buttonsOf(telegram.messageNow(GROUP_CHAT, question.message_id)!).length, 2);

    telegram.injectCallbackQuery({
      chatId: GROUP_CHAT,
      messageId: question.message_id,
      from: OWNER,
      data: friday!.callback_data,
    });
    const result = await toolResultFor(model, "tap");
    assert.match(result, /Olivia chose \\"Friday\\"/);
    await botMessage(telegram, GROUP_CHAT, /^got: .*Olivia chose/);
    const edited = telegram.messageNow(GROUP_CHAT, question.message_id)!;
    assert.equal(edited.text, "Which day? (tap)\n\n✓ Friday (Olivia)");
    assert.deepEqual(buttonsOf(edited), [], "the buttons are gone");
  });

  it("a reply to the bot's message triggers in a group that needs the trigger, with the quote", async () => {
    const botReply = await botMessage(telegram, GROUP_CHAT, /^got: /);
    telegram.injectMessage({
      chatId: GROUP_CHAT,
      chatType: "supergroup",
      from: OWNER,
      text: "thanks, reply-to-bot-marker",
      reply_to_message: botReply,
    });
    const answer = await botMessage(telegram, GROUP_CHAT, /reply-to-bot-marker/);
    assert.match(answer.text ?? "", /<quoted from="Andy">got: /);
  });

  it("a typed number answers the question instead of starting a turn of its own", async () => {
    telegram.injectMessage({ chatId: OWNER.id, from: OWNER, text: "ask-typed" });
    await botMessage(telegram, OWNER.id, /^Which day\? \(typed\)$/);
    telegram.injectMessage({ chatId: OWNER.id, from: OWNER, text: "2" });
    const result = await toolResultFor(model, "typed");
    assert.match(result, /Olivia chose \\"Friday\\"/);
    await botMessage(telegram, OWNER.id, /^got: .*Friday/);
    // The next message's prompt holds only itself: the "2" was the tool's, not a prompt.
    telegram.injectMessage({ chatId: OWNER.id, from: OWNER, text: "after-typed-marker" });
    const echo = await botMessage(telegram, OWNER.id, /after-typed-marker/);
    assert.doesNotMatch(echo.text ?? "", /Olivia" at="[^"]*">2</);
  });

  it("a button in the web chat answers the question (SSE event, then POST)", async () => {
    const events = listen(service);
    await events.ready;
    try {
      await sendChat(service, "ask-web");
      const shown = await waitFor(
        () => events.events.find((event) => event.event === "question"),
        "the question event",
        REPLY_TIMEOUT,
      );
      const question = JSON.parse(shown.data) as {
        id: string;
        text: string;
        choices: { id: string; label: string }[];
      };
      assert.equal(question.text, "Which day? (web)");
      const refused = await api(service, "/api/chat/choices", {
        method: "POST",
        body: JSON.stringify({ choiceId: "" }),
      });
      assert.equal(refused.status, 400);
      const response = await api(service, "/api/chat/choices", {
        method: "POST",
        body: JSON.stringify({ choiceId: question.choices[0]!.id }),
      });
      assert.equal(response.status, 202, await response.text());
      const closed = await waitFor(
        () => events.events.find((event) => event.event === "questionClosed"),
        "the questionClosed event",
      );
      assert.deepEqual(JSON.parse(closed.data), { id: question.id, answer: "Tuesday (Owner)" });
      assert.match(await toolResultFor(model, "web"), /Owner chose \\"Tuesday\\"/);
    } finally {
      await events.close();
    }
  });
});

describe("ask_user timeout", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let service: Service;

  before(async () => {
    model = await askingModel();
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-e2e-ask-0001",
        ANTHROPIC_BASE_URL: model.url,
        ASK_USER_TIMEOUT: "1s",
      },
    });
  });
  after(async () => {
    await service?.stop();
    await model?.close();
    removeDir(dataDir);
  });

  it("a question nobody answers gives the tool 'no answer' and closes it", async () => {
    const events = listen(service);
    await events.ready;
    try {
      await sendChat(service, "ask-nobody");
      assert.match(await toolResultFor(model, "nobody"), /No answer within 1s/);
      const closed = await waitFor(
        () => events.events.find((event) => event.event === "questionClosed"),
        "the questionClosed event",
      );
      assert.equal((JSON.parse(closed.data) as { answer: unknown }).answer, null);
    } finally {
      await events.close();
    }
  });
});
