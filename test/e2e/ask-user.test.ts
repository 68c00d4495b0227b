// ask_user end to end: the service as a process, the fake model calling the tool, the
// answer given by a tap on Telegram's or Discord's fake, a typed reply or the web chat's
// button, and the model's next request carrying it. Also: a tap by a sender who may not
// answer is ignored, the timeout answers "no answer", a kill -9 while a question waits,
// and a reply to the bot triggers in a group (Telegram, Discord).
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
import { startDiscordFake, type DiscordFake, type FakeMessage } from "../fakes/discord/server.ts";
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
  storedMessages,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const OWNER: InjectedUser = { id: 3001, first_name: "Olivia" };
const STRANGER: InjectedUser = { id: 3002, first_name: "Sam" };
const GROUP_CHAT = -100_300;
const DISCORD_GUILD = "210000000000000301";
const DISCORD_CHANNEL = "310000000000000301";
const DISCORD_OWNER = { id: "510000000000000301", username: "olivia" };
/** Agent turns include a Claude Code process start; the machine may be slow. */
const REPLY_TIMEOUT = 90_000;

/**
 * "ask-<case>" in a message makes the model call ask_user; the tool's result comes back
 * as the text "got: <result>", so the chat and the test see what reached the model.
 */
function askingModel(): Promise<AnthropicFake> {
  return startAnthropicFake((request) => {
    const restarted = lastUserText(request).includes("<system-note>The service restarted");
    if (isToolResultTurn(request) && !restarted) {
      return { text: `got: ${JSON.stringify(toolResults(request)[0]?.content)}` };
    }
    // After a restart the question's tool call is gone; a sensible agent asks again.
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
  let discord: DiscordFake;
  let service: Service;

  /** Registers a discovered chat as a group that needs the trigger; returns its folder. */
  async function registerGroup(chat: string): Promise<string> {
    await waitFor(async () => {
      const { discovered } = (await (await api(service, "/api/groups")).json()) as {
        discovered: { channel: string; chatId: string }[];
      };
      return discovered.some((found) => `${found.channel}:${found.chatId}` === chat) || undefined;
    }, `${chat} to be discovered`);
    const registered = await api(service, "/api/groups", {
      method: "POST",
      body: JSON.stringify({ chat, requiresTrigger: true }),
    });
    const body = await registered.text();
    assert.equal(registered.status, 201, body);
    return (JSON.parse(body) as { group: { folder: string } }).group.folder;
  }

  before(async () => {
    model = await askingModel();
    telegram = await startTelegramFake({ botUsername: "pincer_test_bot" });
    discord = await startDiscordFake({ token: "discord-ask-token" });
    discord.addGuild({
      id: DISCORD_GUILD,
      name: "Crab Club",
      channels: [{ id: DISCORD_CHANNEL, name: "general" }],
    });
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-e2e-ask-0000",
        ANTHROPIC_BASE_URL: model.url,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        DISCORD_BOT_TOKEN: "discord-ask-token",
        DISCORD_API_URL: discord.apiUrl,
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
    await discord?.close();
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
    const folder = await registerGroup(`telegram:${GROUP_CHAT}`);
    const patched = await api(service, `/api/groups/${folder}`, {
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

  it("a button on Discord answers the question, and a reply to the bot (without its ping) triggers", async () => {
    await registerGroup(`discord:${DISCORD_CHANNEL}`);
    const fromBot = (pattern: RegExp): Promise<FakeMessage> =>
      waitFor(
        () =>
          discord
            .messagesIn(DISCORD_CHANNEL)
            .find(
              (message) =>
                message.author.id === discord.botUser.id && pattern.test(message.content),
            ),
        `a Discord bot message matching ${pattern}`,
        REPLY_TIMEOUT,
      );
    discord.injectMessage({
      channelId: DISCORD_CHANNEL,
      author: DISCORD_OWNER,
      content: `<@${discord.botUser.id}> ask-discord`,
    });
    const question = await fromBot(/^Which day\? \(discord\)$/);
    const buttons = question.components?.flatMap((row) => row.components) ?? [];
    assert.deepEqual(
      buttons.map((button) => button.label),
      ["Tuesday", "Friday"],
    );
    const tap = discord.injectButtonTap({
      channelId: DISCORD_CHANNEL,
      messageId: question.id,
      user: DISCORD_OWNER,
      customId: buttons[0]!.custom_id,
    });
    assert.match(await toolResultFor(model, "discord"), /olivia chose \\"Tuesday\\"/);
    await discord.waitFor(() => tap.response !== null, REPLY_TIMEOUT, "the tap's response");
    assert.equal(tap.response, 6, "acknowledged as a deferred update");
    const answered = await fromBot(/^got: /);
    const edited = discord
      .messagesIn(DISCORD_CHANNEL)
      .find((message) => message.id === question.id);
    assert.equal(edited?.content, "Which day? (discord)\n\n✓ Tuesday (olivia)");
    assert.equal(edited?.components, undefined, "the buttons are gone");

    discord.injectMessage({
      channelId: DISCORD_CHANNEL,
      author: DISCORD_OWNER,
      content: "thanks discord-reply-marker",
      message_reference: { message_id: answered.id },
      replyPing: false,
    });
    const echo = await fromBot(/discord-reply-marker/);
    assert.match(echo.content, /<quoted from="Andy">got: /);
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

describe("ask_user across a restart", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service | undefined;

  const start = () =>
    startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-e2e-ask-0002",
        ANTHROPIC_BASE_URL: model.url,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        MAIN_CHAT: `telegram:${OWNER.id}`,
        ACK_REACTION: "",
      },
    });

  before(async () => {
    model = await askingModel();
    telegram = await startTelegramFake({ botUsername: "pincer_test_bot" });
  });
  after(async () => {
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("a question cut off by kill -9 is asked again after the restart; the old buttons only go", async () => {
    service = await start();
    telegram.injectMessage({ chatId: OWNER.id, from: OWNER, text: "ask-restart" });
    const first = await botMessage(telegram, OWNER.id, /^Which day\? \(restart\)$/);
    await waitFor(() => buttonsOf(first).length === 2 || undefined, "the first question's buttons");
    // Killed while the question waits, after its send was recorded (a kill in the moment
    // between the platform's answer and that record leaves the agent only the SDK's
    // "interrupted" tool result: a real model asks again, this fake would not).
    const live = service;
    await waitFor(
      () =>
        storedMessages(live, String(OWNER.id), "out").some((text) =>
          text.startsWith("Which day? (restart)"),
        ) || undefined,
      "the question in the history",
    );
    await service.kill();
    service = await start();

    // The turn is read again and asks again: a second question message.
    const second = await waitFor(
      () =>
        telegram.sent.find(
          (message) =>
            message.chat.id === OWNER.id &&
            message.message_id !== first.message_id &&
            message.text === "Which day? (restart)",
        ),
      "the question asked again",
      REPLY_TIMEOUT,
    ).catch((error: unknown) => {
      console.log(service!.output().slice(-6000));
      throw error;
    });
    // A tap on the first one answers nothing and takes its buttons off.
    telegram.injectCallbackQuery({
      chatId: OWNER.id,
      messageId: first.message_id,
      from: OWNER,
      data: buttonsOf(first)[0]!.callback_data,
    });
    await waitFor(
      () => buttonsOf(telegram.messageNow(OWNER.id, first.message_id)!).length === 0 || undefined,
      "the stale buttons to go",
    );
    telegram.injectCallbackQuery({
      chatId: OWNER.id,
      messageId: second.message_id,
      from: OWNER,
      data: buttonsOf(second)[1]!.callback_data,
    });
    await botMessage(telegram, OWNER.id, /^got: .*Olivia chose .*Friday/);
    assert.equal(
      telegram.sent.filter((message) => /^got: /.test(message.text ?? "")).length,
      1,
      "one answer, to the question that was waiting",
    );
  });
});
