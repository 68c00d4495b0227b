// Outbound Discord calls through real discord.js (REST queue included) against the fake.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DiscordAPIError } from "discord.js";
import { TransientSendError } from "../../../src/channels/channel.ts";
import type { DiscordChannel } from "../../../src/channels/discord/channel.ts";
import { connectAdapter, type RecordingHost } from "../../fakes/discord/harness.ts";
import { startDiscordFake } from "../../fakes/discord/server.ts";
import type { DiscordFake } from "../../fakes/discord/server.ts";

const GUILD = "210000000000000001";
const GENERAL = "310000000000000001";
const MESSAGES = `/channels/${GENERAL}/messages`;
const ALICE = { id: "510000000000000001", username: "alice" };

interface PostedBody {
  content: string;
}

function fenceLines(text: string): number {
  return text.split("\n").filter((line) => line.startsWith("```")).length;
}

describe("Discord channel: sending", () => {
  let fake: DiscordFake;
  let channel: DiscordChannel;
  let host: RecordingHost;

  before(async () => {
    fake = await startDiscordFake({ token: "send-token" });
    fake.addGuild({ id: GUILD, name: "Crab Club", channels: [{ id: GENERAL, name: "general" }] });
    ({ channel, host } = await connectAdapter(fake));
  });

  it("sendChoices posts one button per choice; a tap is a choice event, acknowledged as a deferred update", async () => {
    const [id] = await channel.sendChoices(
      GENERAL,
      "Which day?",
      [
        { id: "ask:q1:0", label: "Tuesday" },
        { id: "ask:q1:1", label: "Friday" },
      ],
      {},
    );
    const stored = fake.messagesIn(GENERAL).find((message) => message.id === id);
    assert.equal(stored?.content, "Which day?");
    assert.deepEqual(
      stored?.components?.[0]?.components.map((button) => [button.label, button.custom_id]),
      [
        ["Tuesday", "ask:q1:0"],
        ["Friday", "ask:q1:1"],
      ],
    );
    const interaction = fake.injectButtonTap({
      channelId: GENERAL,
      messageId: id!,
      user: ALICE,
      customId: "ask:q1:1",
    });
    await host.waitFor(() => host.events.some((event) => event.type === "choice"), "the tap");
    assert.deepEqual(
      host.events.find((event) => event.type === "choice"),
      {
        type: "choice",
        chatId: GENERAL,
        messageId: id,
        senderId: ALICE.id,
        senderName: "alice",
        choiceId: "ask:q1:1",
      },
    );
    await fake.waitFor(() => interaction.response !== null, 10_000, "the interaction's response");
    assert.equal(interaction.response, 6, "DEFERRED_UPDATE_MESSAGE");

    await channel.closeChoices(GENERAL, [id!], "Which day?\n\n✓ Friday (alice)");
    const closed = fake.messagesIn(GENERAL).find((message) => message.id === id);
    assert.equal(closed?.content, "Which day?\n\n✓ Friday (alice)");
    assert.equal(closed?.components, undefined, "the buttons are gone");
  });

  after(async () => {
    await channel.stop();
    await fake.close();
  });

  it("sends Markdown as is and returns the message id", async () => {
    const ids = await channel.send(GENERAL, "**bold** and `code`", {});
    assert.equal(ids.length, 1);
    const stored = fake.messagesIn(GENERAL).find((message) => message.id === ids[0]);
    assert.equal(stored?.content, "**bold** and `code`");
    assert.equal(stored?.author.id, fake.botUser.id);
  });

  it("splits a 10,000-character reply into chunks of at most 2000 without breaking code blocks", async () => {
    const prose = (label: string): string =>
      Array.from(
        { length: 25 },
        (_, i) => `${label} sentence ${i} about crabs and their claws.`,
      ).join(" ");
    const code = Array.from(
      { length: 140 },
      (_, i) => `const crab${i} = { claws: ${i}, legs: 8 };`,
    ).join("\n");
    const reply = [
      prose("Intro"),
      prose("More"),
      "```ts\n" + code + "\n```",
      prose("Outro"),
      prose("End"),
    ].join("\n\n");
    assert.ok(reply.length >= 10_000, `reply is ${reply.length} characters`);
    const ids = await channel.send(GENERAL, reply, {});

    const posts = fake.calls.filter(
      (call) => call.method === "POST" && call.path === MESSAGES && call.status === 200,
    );
    const bodies = posts.slice(-ids.length).map((call) => call.body as PostedBody);
    assert.ok(ids.length >= 5, `${ids.length} chunks`);
    for (const body of bodies) {
      assert.ok(body.content.length <= 2000, `chunk of ${body.content.length}`);
      assert.equal(fenceLines(body.content) % 2, 0, `unbalanced fences in:\n${body.content}`);
    }
    const reopened = bodies.filter((body) => body.content.startsWith("```ts\n")).length;
    assert.ok(reopened >= 2, "the code block spans chunks and is reopened in each");
    const joined = bodies.map((body) => body.content).join("\n");
    for (const line of code.split("\n")) assert.ok(joined.includes(line), `lost line ${line}`);
    assert.ok(joined.includes("End sentence 24 about crabs"));
    assert.deepEqual(
      fake
        .messagesIn(GENERAL)
        .slice(-ids.length)
        .map((message) => message.id),
      ids,
    );
  });

  it("waits out a 429 instead of failing", async () => {
    fake.failNext("POST", MESSAGES, { status: 429, retryAfter: 0.4 });
    const ids = await channel.send(GENERAL, "after the rate limit", {});
    assert.equal(ids.length, 1);
    const [limited, retried] = fake.calls.filter((call) => call.path === MESSAGES).slice(-2);
    assert.equal(limited?.status, 429);
    assert.equal(retried?.status, 200);
    assert.ok(retried.at - limited.at >= 400, `retried after ${retried.at - limited.at} ms`);
    assert.equal(fake.messagesIn(GENERAL).at(-1)?.content, "after the rate limit");
  });

  it("turns persistent server errors into TransientSendError", async () => {
    fake.failNext("POST", MESSAGES, { status: 502, times: 4 });
    await assert.rejects(channel.send(GENERAL, "doomed", {}), TransientSendError);
    const errors = fake.calls.filter((call) => call.path === MESSAGES && call.status === 502);
    assert.equal(errors.length, 4, "discord.js retries a 5xx three times before giving up");
  });

  it("recovers from a single server error within discord.js's own retries", async () => {
    fake.failNext("POST", MESSAGES, { status: 500 });
    const ids = await channel.send(GENERAL, "second time lucky", {});
    assert.equal(ids.length, 1);
  });

  it("lets a client error fail for good", async () => {
    await assert.rejects(channel.send("399999999999999999", "nowhere", {}), (error: unknown) => {
      assert.ok(error instanceof DiscordAPIError);
      assert.equal(error.status, 404);
      return true;
    });
  });

  it("keeps one reaction per message, replacing the previous one", async () => {
    const target = fake.injectMessage({
      channelId: GENERAL,
      author: ALICE,
      content: "react to me",
    });
    await channel.react(GENERAL, target.id, "👀");
    assert.deepEqual(fake.botReactions(target.id), ["👀"]);
    await channel.react(GENERAL, target.id, "✅");
    assert.deepEqual(fake.botReactions(target.id), ["✅"]);
    const removed = await fake.waitForCall(
      "DELETE",
      `${MESSAGES}/${target.id}/reactions/${encodeURIComponent("👀")}/@me`,
    );
    assert.equal(removed.status, 204);
    await channel.react(GENERAL, target.id, null);
    assert.deepEqual(fake.botReactions(target.id), []);
  });

  it("shows typing and renews it until switched off", async () => {
    const typingPath = `/channels/${GENERAL}/typing`;
    await channel.setTyping(GENERAL, true);
    await fake.waitForCall("POST", typingPath);
    await fake.waitForCall("POST", typingPath, 20_000);
    await channel.setTyping(GENERAL, false);
    const count = fake.calls.filter((call) => call.path === typingPath).length;
    assert.equal(count, 2);
  });
});
