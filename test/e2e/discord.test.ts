// Discord end to end: the service as a process, real discord.js inside it talking to the
// loopback Discord fake (REST + gateway), and the fake model. Every assertion is on what
// the Discord fake received (messages posted, reactions, typing) or what the model saw.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  HeldReplies,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
  type RecordedRequest,
} from "../fakes/anthropic/server.ts";
import { startDiscordFake, type DiscordFake, type FakeMessage } from "../fakes/discord/server.ts";
import {
  api,
  channelState,
  storedMessages,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const API_KEY = "sk-ant-e2e-discord-0000";
const TOKEN = "e2e-discord-bot-token";
const REPLY_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 180_000;

const OWNER = { id: "510000000000000001", username: "ada", global_name: "Ada" };
const BOB = { id: "510000000000000002", username: "bob", global_name: "Bob" };
const CAROL = { id: "510000000000000003", username: "carol", global_name: "Carol" };
const OWNER_DM = "410000000000000001";
const CAROL_DM = "410000000000000002";
const GUILD = "210000000000000001";
const CHANNELS = {
  context: "310000000000000001",
  long: "310000000000000002",
  drop: "310000000000000003",
  reconnects: "310000000000000004",
  editBefore: "310000000000000005",
  editSlow: "310000000000000006",
  react: "310000000000000007",
  reactEdit: "310000000000000010",
  reactLimited: "310000000000000011",
  reactFail: "310000000000000008",
  rateLimit: "310000000000000009",
} as const;

const FAIL_MARK = "[fail]";
const LONG_MARK = "[long]";

// About 10,000 characters of Markdown: bold in paragraphs and a code block long enough
// that at least one cut must fall inside it.
function longReply(): string {
  const paragraph = (i: number): string =>
    `Paragraph ${i} has **bold point ${i}** in it, then plain words that pad the line out. `.repeat(
      3,
    );
  const code = Array.from({ length: 110 }, (_, i) => `const value${i} = "${"x".repeat(20)}";`);
  const parts = [
    ...Array.from({ length: 12 }, (_, i) => paragraph(i)),
    ["```ts", ...code, "```"].join("\n"),
    ...Array.from({ length: 8 }, (_, i) => paragraph(100 + i)),
  ];
  const text = parts.join("\n\n");
  assert.ok(text.length < 9_990, `long reply base is ${text.length} characters`);
  return `${text}\n\nThe end${".".repeat(10_000 - text.length - 9)}`;
}
const LONG_REPLY = longReply();

describe("Discord end to end", () => {
  // One service for the cases below (a start costs seconds). node:test runs them in the order
  // written; each uses chats of its own, so none relies on what an earlier one left behind.
  let model: AnthropicFake;
  const held = new HeldReplies();
  let discord: DiscordFake;

  before(async () => {
    model = await startAnthropicFake((request) => {
      const text = lastUserText(request);
      if (text.includes(LONG_MARK)) return { text: LONG_REPLY };
      if (text.includes(FAIL_MARK)) return { error: 500 };
      const until = held.take(text);
      return { text: `echo: ${text}`, ...(until ? { until } : {}) };
    });
    discord = await startDiscordFake({ token: TOKEN });
    discord.addDmChannel({ id: OWNER_DM, recipient: OWNER });
    discord.addDmChannel({ id: CAROL_DM, recipient: CAROL });
    discord.addGuild({
      id: GUILD,
      name: "Crab Club",
      channels: Object.entries(CHANNELS).map(([name, id]) => ({ id, name })),
    });
  });
  after(async () => {
    held.releaseAll();
    await discord.close();
    await model.close();
  });

  function serviceEnv(token: string): Record<string, string> {
    return {
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: model.url,
      DISCORD_BOT_TOKEN: token,
      DISCORD_API_URL: discord.apiUrl,
    };
  }

  const botMessages = (channelId: string): FakeMessage[] =>
    discord.messagesIn(channelId).filter((message) => message.author.id === discord.botUser.id);

  const botMessagesWith = (channelId: string, text: string): FakeMessage[] =>
    botMessages(channelId).filter((message) => message.content.includes(text));

  /** Main model calls whose latest user turn contains `text`. */
  const modelCallsWith = (text: string): RecordedRequest[] =>
    model.mainRequests().filter((request) => lastUserText(request.body).includes(text));

  describe("with a connected bot", () => {
    const dataDir = tempDir();
    let service: Service;

    before(async () => {
      service = await startService({
        dataDir,
        env: { ...serviceEnv(TOKEN), MAIN_CHAT: `discord:${OWNER_DM}` },
      });
      await waitFor(
        async () => (await discordState(service)).status === "connected" || undefined,
        "Discord to connect",
        60_000,
      );
    });
    after(async () => {
      await service?.stop();
      removeDir(dataDir);
    });

    /** Fails with the end of the service log, which says why a reply never came. */
    async function eventually<T>(
      check: () => T | undefined | Promise<T | undefined>,
      what: string,
    ): Promise<T> {
      try {
        return await waitFor(check, what, REPLY_TIMEOUT_MS);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- service log ---\n${tail(service)}`, {
          cause: error,
        });
      }
    }

    async function register(channelId: string, requiresTrigger: boolean): Promise<void> {
      const chat = `discord:${channelId}`;
      await eventually(async () => {
        const response = await api(service, "/api/groups");
        const { discovered } = (await response.json()) as { discovered: { chatId: string }[] };
        return discovered.some((found) => found.chatId === channelId) || undefined;
      }, `${chat} to be discovered`);
      const response = await api(service, "/api/groups", {
        method: "POST",
        body: JSON.stringify({ chat, requiresTrigger }),
      });
      assert.equal(response.status, 201, await response.text());
    }

    const say = (channelId: string, content: string, author = BOB): FakeMessage =>
      discord.injectMessage({
        channelId,
        ...(channelId === OWNER_DM || channelId === CAROL_DM ? {} : { guildId: GUILD }),
        author,
        content,
      });

    const waitForReply = (channelId: string, text: string): Promise<FakeMessage> =>
      eventually(() => botMessagesWith(channelId, text)[0], `a reply containing "${text}"`);

    /** Lets a group's turn end (✅ on `trigger`), then proves the chat is quiet by a fresh round trip. */
    async function settle(channelId: string, trigger: FakeMessage, author = BOB): Promise<void> {
      await eventually(
        () => discord.botReactions(trigger.id).includes("✅") || undefined,
        "the turn to end",
      );
      say(channelId, "settle marker", author);
      await waitForReply(channelId, "settle marker");
    }

    it(
      "answers a DM from the main owner, showing typing meanwhile",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const message = say(OWNER_DM, "owner-hello what is up", OWNER);
        const reply = await waitForReply(OWNER_DM, "owner-hello");
        assert.match(reply.content, /^echo: .*from="Ada".*owner-hello what is up/s);
        assert.ok(
          discord.calls.some(
            (call) => call.method === "POST" && call.path === `/channels/${OWNER_DM}/typing`,
          ),
          "typing was shown",
        );
        await settle(OWNER_DM, message, OWNER);
        assert.equal(botMessagesWith(OWNER_DM, "owner-hello").length, 1);
      },
    );

    it(
      "pairs a DM as a main chat with the code from /api/status",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        say(CAROL_DM, "/pair WRONGCODE1", CAROL);
        say(CAROL_DM, "unpaired-hello", CAROL);
        const { pairingCode } = (await (await api(service, "/api/status")).json()) as {
          pairingCode: string;
        };
        say(CAROL_DM, `/pair ${pairingCode}`, CAROL);
        await waitForReply(CAROL_DM, "Paired");
        say(CAROL_DM, "paired-hello", CAROL);
        await waitForReply(CAROL_DM, "paired-hello");
        const contents = botMessages(CAROL_DM).map((message) => message.content);
        assert.equal(contents.length, 2, `bot said: ${JSON.stringify(contents)}`);
        assert.ok(
          !contents.some((text) => text.includes("unpaired-hello")),
          "nothing from before pairing reached the agent",
        );
        assert.ok(
          model
            .mainRequests()
            .every((request) => !lastUserText(request.body).includes(pairingCode)),
          "the agent never saw the pairing code",
        );
      },
    );

    it(
      "keeps untriggered group messages as context for the next trigger",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.context;
        await register(chat, true);
        say(chat, "context-fact the boat is called Nautilus");
        const typed = say(chat, "@Andy typed-trigger what is the boat called?");
        const reply = await waitForReply(chat, "typed-trigger");
        assert.match(reply.content, /context-fact the boat is called Nautilus/);
        const [first, ...others] = modelCallsWith("context-fact");
        assert.ok(first, "the model saw the context");
        assert.match(lastUserText(first.body), /typed-trigger/, "context arrived with the trigger");
        assert.equal(others.length, 0);
        await eventually(() => discord.botReactions(typed.id).includes("✅") || undefined, "✅");

        // A real mention of the bot triggers too, and reads as the assistant's name.
        say(chat, "context-later nobody asked");
        say(chat, `<@${discord.botUser.id}> mention-trigger are you there?`);
        const mentioned = await waitForReply(chat, "mention-trigger");
        assert.match(mentioned.content, /context-later nobody asked/);
        assert.match(mentioned.content, /@Andy mention-trigger/);
        assert.equal(botMessages(chat).length, 2, "one reply per trigger, none for context");
      },
    );

    it(
      "splits a 10,000-character Markdown reply within Discord's limit, code blocks intact",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.long;
        await register(chat, false);
        say(chat, `${LONG_MARK} tell me everything`);
        const chunks = await eventually(() => {
          const sent = botMessages(chat).map((message) => message.content);
          return sent.join("").includes("The end") ? sent : undefined;
        }, "the whole long reply");
        assert.ok(chunks.length >= 5, `${chunks.length} chunks`);
        for (const chunk of chunks) {
          assert.ok(chunk.length <= 2000, `a chunk of ${chunk.length} characters`);
          assertBalancedMarkdown(chunk);
        }
        assert.ok(
          chunks.some((chunk) => chunk.startsWith("```ts\n")),
          "a code block cut in two is reopened with its language",
        );
        const plain = (text: string): string => text.replace(/```(ts)?/g, "").replace(/\s+/g, "");
        assert.equal(
          plain(chunks.join("")),
          plain(LONG_REPLY),
          "nothing lost, reordered or doubled",
        );
        assert.ok(chunks.join("").includes("**bold point 7**"), "Markdown goes to Discord as is");
      },
    );

    it(
      "answers across a dropped gateway connection, including a message sent while away",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.drop;
        await register(chat, false);
        const release = held.hold("drop-first");
        say(chat, "drop-first");
        await eventually(() => modelCallsWith("drop-first")[0], "the slow model call");
        const resumes = discord.resumeCount;
        assert.ok(discord.dropConnections() >= 1, "a live gateway socket was dropped");
        const away = say(chat, "drop-while-away");
        await eventually(() => discord.resumeCount > resumes || undefined, "a resume");
        release();
        await waitForReply(chat, "drop-first");
        await waitForReply(chat, "drop-while-away");
        await settle(chat, away);
        assert.equal(botMessagesWith(chat, "drop-first").length, 1);
        assert.equal(botMessagesWith(chat, "drop-while-away").length, 1);
        assert.equal((await discordState(service)).status, "connected");
      },
    );

    it(
      "gives exactly one reply to a message that spans five reconnects",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.reconnects;
        await register(chat, false);
        const identifies = discord.identifyCount;
        let message: FakeMessage | undefined;
        for (let i = 0; i < 5; i++) {
          const connections = discord.gatewayConnections.length;
          discord.dropConnections();
          // Sent during the first outage, so it only arrives through RESUME's replay, which
          // the following reconnects must not repeat.
          message ??= say(chat, "reconnect-once");
          await eventually(
            () => discord.gatewayConnections.length > connections || undefined,
            `reconnect ${i + 1}`,
          );
        }
        await eventually(
          async () => (await discordState(service)).status === "connected" || undefined,
          "connected again",
        );
        await waitForReply(chat, "reconnect-once");
        await settle(chat, message!);
        assert.equal(botMessagesWith(chat, "reconnect-once").length, 1);
        assert.equal(modelCallsWith("reconnect-once").length, 1, "the model was asked once");
        assert.equal(discord.identifyCount, identifies, "every reconnect resumed the session");
      },
    );

    it(
      "lets an edit made before the trigger change what the agent sees",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.editBefore;
        await register(chat, true);
        const draft = say(chat, "edit-ctx the meeting is on Monday");
        discord.injectEdit({
          channelId: chat,
          messageId: draft.id,
          content: "edit-ctx the meeting is on Friday",
        });
        say(chat, "@Andy edit-ask when is the meeting?");
        const reply = await waitForReply(chat, "edit-ask");
        assert.match(reply.content, /edit-ctx the meeting is on Friday/);
        const [call] = modelCallsWith("edit-ask");
        assert.ok(call);
        assert.doesNotMatch(lastUserText(call.body), /Monday/);
      },
    );

    it(
      "passes an edit made during a slow model call on to the agent",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.editSlow;
        await register(chat, false);
        const release = held.hold("edit-slow-first");
        say(chat, "edit-slow-first");
        await eventually(() => modelCallsWith("edit-slow-first")[0], "the slow model call");
        // The adapter hands gateway events to the core in order, so the edit follows its
        // message, which by then is already fed to the busy session.
        const second = say(chat, "edit-slow-second meet at 5pm");
        discord.injectEdit({
          channelId: chat,
          messageId: second.id,
          content: "edit-slow-second meet at 6pm",
        });
        await eventually(
          () =>
            storedMessages(service, chat, "in").some((text) => text.includes("6pm")) || undefined,
          "the edit stored",
        );
        release();
        const reply = await waitForReply(chat, "6pm");
        assert.match(reply.content, /edit-slow-second meet at 6pm/);
        assert.ok(modelCallsWith("6pm").length >= 1, "the model saw the edited text");
      },
    );

    it(
      "acknowledges with 👀 and replaces it with ✅ once answered",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.react;
        await register(chat, false);
        const message = say(chat, "react-ok please answer");
        await waitForReply(chat, "react-ok");
        await eventually(() => discord.botReactions(message.id).includes("✅") || undefined, "✅");
        assert.deepEqual(discord.botReactions(message.id), ["✅"]);
        assert.deepEqual(reactionCalls(discord, message.id), ["PUT 👀", "DELETE 👀", "PUT ✅"]);
      },
    );

    it(
      "ends with ✅ alone when a rate limit holds 👀 back until the turn is over",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.reactLimited;
        await register(chat, false);
        // Discord limits reactions tightly; here 👀 waits out a 429 while the answer goes out.
        discord.failNext("PUT", new RegExp(`^/channels/${chat}/messages/\\d+/reactions/`), {
          status: 429,
          retryAfter: 5,
        });
        const message = say(chat, "react-limited");
        await waitForReply(chat, "react-limited");
        const putsOf = (emoji: string): number =>
          reactionCalls(discord, message.id).filter((call) => call === `PUT ${emoji}`).length;
        await eventually(
          () => (putsOf("👀") === 2 && putsOf("✅") === 1) || undefined,
          "👀 retried, ✅ set",
        );
        assert.deepEqual(discord.botReactions(message.id), ["✅"]);
        assert.deepEqual(reactionCalls(discord, message.id), [
          "PUT 👀",
          "PUT 👀",
          "DELETE 👀",
          "PUT ✅",
        ]);
      },
    );

    it(
      "acknowledges an edit of an answered message on that message",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.reactEdit;
        await register(chat, false);
        const message = say(chat, "react-edit the answer is 41");
        await waitForReply(chat, "react-edit the answer is 41");
        await eventually(() => discord.botReactions(message.id).includes("✅") || undefined, "✅");
        discord.injectEdit({
          channelId: chat,
          messageId: message.id,
          content: "react-edit the answer is 42",
        });
        await waitForReply(chat, "react-edit the answer is 42");
        await settle(chat, message);
        const reactions = discord.calls.filter((call) => call.path.includes("/reactions/"));
        assert.deepEqual(
          reactions.filter(
            (call) => call.path.startsWith(`/channels/${chat}/`) && call.status !== 204,
          ),
          [],
          "every reaction went to a real message",
        );
        assert.deepEqual(reactionCalls(discord, message.id), [
          "PUT 👀",
          "DELETE 👀",
          "PUT ✅",
          "DELETE ✅",
          "PUT 👀",
          "DELETE 👀",
          "PUT ✅",
        ]);
      },
    );

    it("replaces 👀 with ❌ when the model fails", { timeout: TEST_TIMEOUT_MS }, async () => {
      const chat = CHANNELS.reactFail;
      await register(chat, false);
      const message = say(chat, `${FAIL_MARK} react-fail`);
      await eventually(() => discord.botReactions(message.id).includes("❌") || undefined, "❌");
      assert.deepEqual(discord.botReactions(message.id), ["❌"]);
      assert.deepEqual(reactionCalls(discord, message.id), ["PUT 👀", "DELETE 👀", "PUT ❌"]);
      assert.ok(
        botMessages(chat).some((sent) => /Sorry, the model API failed/.test(sent.content)),
        "the failure was explained in the chat",
      );
    });

    it(
      "delivers a reply exactly once through a 429 on the send",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const chat = CHANNELS.rateLimit;
        await register(chat, false);
        const path = `/channels/${chat}/messages`;
        discord.failNext("POST", path, { status: 429, retryAfter: 1 });
        const message = say(chat, "limited-reply");
        await waitForReply(chat, "limited-reply");
        await settle(chat, message);
        const sends = discord.calls.filter((call) => call.method === "POST" && call.path === path);
        assert.equal(sends[0]?.status, 429, "the first send was rate limited");
        assert.equal(sends[1]?.status, 200, "the retry went through");
        assert.match(JSON.stringify(sends[1]?.body), /limited-reply/);
        assert.equal(botMessagesWith(chat, "limited-reply").length, 1);
      },
    );

    it("shuts down cleanly with Discord connected", { timeout: TEST_TIMEOUT_MS }, async () => {
      assert.equal(await service.stop(), 0, tail(service));
    });
  });

  describe("with a rejected token", () => {
    const dataDir = tempDir();
    let service: Service;

    after(async () => {
      await service?.stop();
      removeDir(dataDir);
    });

    it(
      "reports auth_failed in /readyz and the web chat keeps working",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        service = await startService({ dataDir, env: serviceEnv("not-the-bot-token") });
        const state = await waitFor(async () => {
          const current = await discordState(service);
          return current.status === "auth_failed" ? current : undefined;
        }, "auth_failed");
        assert.match(state.detail ?? "", /token/i);
        const sse = listen(service);
        await sse.ready;
        await sendChat(service, "web-still-works");
        const reply = await waitFor(
          () => sse.messages()[0],
          "the web chat reply",
          REPLY_TIMEOUT_MS,
        );
        assert.match(reply.text, /web-still-works/);
        await sse.close();
        const readyz = await fetch(`${service.url}/readyz`);
        assert.equal(readyz.status, 200, "the service stays ready without Discord");
      },
    );
  });

  describe("without a token", () => {
    const dataDir = tempDir();
    let service: Service;

    after(async () => {
      await service?.stop();
      removeDir(dataDir);
    });

    it("shows Discord as not_configured", { timeout: TEST_TIMEOUT_MS }, async () => {
      service = await startService({
        dataDir,
        env: {
          ANTHROPIC_API_KEY: API_KEY,
          ANTHROPIC_BASE_URL: model.url,
          DISCORD_API_URL: discord.apiUrl,
        },
      });
      const state = await discordState(service);
      assert.equal(state.status, "not_configured");
      assert.match(state.detail ?? "", /DISCORD_BOT_TOKEN/);
    });
  });
});

async function discordState(service: Service): Promise<{ status: string; detail: string | null }> {
  return (await channelState(service, "discord")) ?? { status: "absent", detail: null };
}

/** The bot's reaction calls on one message, in the order the fake received them. */
function reactionCalls(discord: DiscordFake, messageId: string): string[] {
  const prefix = new RegExp(`/messages/${messageId}/reactions/([^/]+)/@me$`);
  return discord.calls.flatMap((call) => {
    const match = prefix.exec(call.path);
    return match ? [`${call.method} ${decodeURIComponent(match[1]!)}`] : [];
  });
}

/** Each chunk must render on its own: fences paired, and bold markers paired outside code. */
function assertBalancedMarkdown(chunk: string): void {
  let inCode = false;
  let boldMarkers = 0;
  for (const line of chunk.split("\n")) {
    if (line.startsWith("```")) {
      inCode = !inCode;
      continue;
    }
    if (inCode) assert.match(line, /^const value\d+ = "x+";$/, "only code inside the fence");
    else {
      assert.doesNotMatch(line, /^const value/, `code outside a fence: ${line}`);
      boldMarkers += line.split("**").length - 1;
    }
  }
  assert.equal(inCode, false, "every fence is closed");
  assert.equal(boldMarkers % 2, 0, "bold markers come in pairs");
}

function tail(service: Service): string {
  return service.output().split("\n").slice(-40).join("\n");
}
