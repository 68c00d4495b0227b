// Live replies on Discord, Slack and Matrix end to end: the service as a process against each
// platform's fake, the fake model writing slowly (each piece waits for a hold the test lets
// go once the preview shows the text before it). On each: one preview message grows by edits
// and then says exactly the final text; nothing else is left in the chat.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
  type FakeReply,
} from "../fakes/anthropic/server.ts";
import { startDiscordFake, type DiscordFake } from "../fakes/discord/server.ts";
import { startMatrixFake, type MatrixFake, type MatrixEvent } from "../fakes/matrix/server.ts";
import { startSlackFake, type SlackFake } from "../fakes/slack/server.ts";
import { deferred } from "../helpers/wait.ts";
import { channelState, removeDir, startService, waitFor, type Service } from "./harness.ts";

const API_KEY = "sk-ant-e2e-live-platforms-0000";
const REPLY_TIMEOUT = 90_000;
const PIECES = ["Hermit crabs ", "move into ", "bigger shells ", "as they grow."];
const FINAL = PIECES.join("");

/** Holds for the pieces of one slow reply; `open(i)` lets piece i go out. */
function gates() {
  const held = PIECES.map(() => deferred());
  return {
    wait: (index: number) => held[index]!.promise,
    open: (index: number) => held[index]!.resolve(),
    openAll: () => held.forEach((gate) => gate.resolve()),
  };
}

describe("live replies on Discord, Slack and Matrix", () => {
  const rules: { marker: string; reply: FakeReply }[] = [];
  const allGates: ReturnType<typeof gates>[] = [];
  let model: AnthropicFake;

  before(async () => {
    model = await startAnthropicFake((request, { main }) => {
      const text = lastUserText(request);
      if (!main) return { text: "ok" };
      return rules.find((rule) => text.includes(rule.marker))?.reply ?? { text: "echo" };
    });
  });
  after(async () => {
    for (const held of allGates) held.openAll();
    await model?.close();
  });

  /** Scripts a slow reply for `marker`, and grows it: each piece once `shows` has the text before. */
  function growing(marker: string, shows: (text: string) => boolean): () => Promise<void> {
    const held = gates();
    allGates.push(held);
    rules.push({ marker, reply: { slow: { pieces: PIECES, before: held.wait } } });
    return async function grow() {
      for (let index = 1; index < PIECES.length; index++) {
        const soFar = PIECES.slice(0, index).join("").trim();
        await waitFor(
          () => shows(soFar) || undefined,
          `the preview to show "${soFar}"`,
          REPLY_TIMEOUT,
        );
        held.open(index);
      }
    };
  }

  async function startWith(env: Record<string, string>, channel: string): Promise<Service> {
    const service = await startService({
      env: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: model.url, ...env },
    });
    await waitFor(
      async () => (await channelState(service, channel))?.status === "connected" || undefined,
      `${channel} to connect`,
      60_000,
    );
    return service;
  }

  describe("Discord", () => {
    const OWNER = { id: "510000000000000009", username: "ada", global_name: "Ada" };
    const DM = "410000000000000009";
    let discord: DiscordFake;
    let service: Service;

    before(async () => {
      discord = await startDiscordFake({ token: "e2e-live-discord-token" });
      discord.addDmChannel({ id: DM, recipient: OWNER });
      service = await startWith(
        {
          DISCORD_BOT_TOKEN: "e2e-live-discord-token",
          DISCORD_API_URL: discord.apiUrl,
          MAIN_CHAT: `discord:${DM}`,
        },
        "discord",
      );
    });
    after(async () => {
      await service?.stop();
      removeDir(service?.dataDir ?? "");
      await discord?.close();
    });

    it("grows one message by edits, which ends as exactly the final text", async () => {
      const bot = () =>
        discord.messagesIn(DM).filter((message) => message.author.id === discord.botUser.id);
      const grow = growing("live-discord", (text) =>
        bot().some((message) => message.content.includes(text)),
      );
      discord.injectMessage({ channelId: DM, author: OWNER, content: "shells? live-discord" });
      await grow();
      await waitFor(
        () => bot().some((message) => message.content === FINAL) || undefined,
        "the final text",
        REPLY_TIMEOUT,
      );
      assert.deepEqual(
        bot().map((message) => message.content),
        [FINAL],
      );
      const edits = discord.calls.filter(
        (call) => call.method === "PATCH" && call.path.startsWith(`/channels/${DM}/messages/`),
      );
      assert.ok(edits.length >= 3, `the preview grew by edits (${edits.length})`);
    });
  });

  describe("Slack", () => {
    const DM = "D0LIVE";
    const USER = "U0LIVE";
    let slack: SlackFake;
    let service: Service;

    before(async () => {
      slack = await startSlackFake({
        botToken: "xoxb-e2e-live-0000",
        appToken: "xapp-1-live-0000",
      });
      slack.addUser({ id: USER, name: "live", real_name: "Live Person", display_name: "live" });
      slack.addChannel({ id: DM, name: "", is_im: true, user: USER });
      service = await startWith(
        {
          SLACK_BOT_TOKEN: "xoxb-e2e-live-0000",
          SLACK_APP_TOKEN: "xapp-1-live-0000",
          SLACK_API_URL: slack.apiUrl,
          SLACK_FILES_URL: slack.filesUrl,
          MAIN_CHAT: `slack:${DM}`,
        },
        "slack",
      );
    });
    after(async () => {
      await service?.stop();
      removeDir(service?.dataDir ?? "");
      await slack?.close();
    });

    it("grows one message by chat.update, which ends as exactly the final text", async () => {
      const bot = () => slack.messages(DM).filter((message) => message.user === slack.botUserId);
      const grow = growing("live-slack", (text) =>
        bot().some((message) => message.text.includes(text)),
      );
      slack.injectMessage({ channel: DM, user: USER, text: "shells? live-slack" });
      await grow();
      await waitFor(
        () => bot().some((message) => message.text === FINAL) || undefined,
        "the final text",
        REPLY_TIMEOUT,
      );
      assert.deepEqual(
        bot().map((message) => message.text),
        [FINAL],
      );
      const updates = slack.calls.filter((call) => call.method === "chat.update");
      assert.ok(updates.length >= 3, `the preview grew by edits (${updates.length})`);
    });
  });

  describe("Matrix", () => {
    const OWNER = "@ada:fake.test";
    let matrix: MatrixFake;
    let room: string;
    let service: Service;

    before(async () => {
      matrix = await startMatrixFake();
      room = matrix.createRoom({ name: "Ada", members: [OWNER], botJoined: true });
      service = await startWith(
        {
          MATRIX_HOMESERVER_URL: matrix.baseUrl,
          MATRIX_ACCESS_TOKEN: matrix.accessToken,
          MAIN_CHAT: `matrix:${room}`,
        },
        "matrix",
      );
    });
    after(async () => {
      await service?.stop();
      removeDir(service?.dataDir ?? "");
      await matrix?.close();
    });

    /** The bot's messages as a client shows them: each with its latest m.replace applied. */
    function shown(): { id: string; body: string }[] {
      const events = matrix.sentByBot(room, "m.room.message");
      const edits = (event: MatrixEvent) =>
        (event.content["m.relates_to"] as { rel_type?: string } | undefined)?.rel_type ===
        "m.replace";
      return events
        .filter((event) => !edits(event))
        .map((original) => {
          const latest = events
            .filter(
              (event) =>
                edits(event) &&
                (event.content["m.relates_to"] as { event_id: string }).event_id ===
                  original.event_id,
            )
            .at(-1);
          const body = latest
            ? (latest.content["m.new_content"] as { body: string }).body
            : String(original.content.body);
          return { id: original.event_id, body };
        });
    }

    it("grows one message by m.replace edits, which ends as exactly the final text", async () => {
      const grow = growing("live-matrix", (text) =>
        shown().some((message) => message.body.includes(text)),
      );
      matrix.post(room, OWNER, "m.room.message", {
        msgtype: "m.text",
        body: "shells? live-matrix",
      });
      await grow();
      await waitFor(
        () => shown().some((message) => message.body === FINAL) || undefined,
        "the final text",
        REPLY_TIMEOUT,
      );
      assert.deepEqual(
        shown().map((message) => message.body),
        [FINAL],
      );
      const replacements = matrix.sentByBot(room, "m.room.message").length - 1;
      assert.ok(replacements >= 3, `the preview grew by edits (${replacements})`);
    });
  });
});
