// The Discord gateway connection through real discord.js: resuming after drops without
// losing or duplicating messages, and giving up cleanly on a rejected token.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectAdapter } from "../../fakes/discord/harness.ts";
import { startDiscordFake } from "../../fakes/discord/server.ts";
import type { DiscordFake } from "../../fakes/discord/server.ts";

const GUILD = "220000000000000001";
const GENERAL = "320000000000000001";
const BOB = { id: "520000000000000001", username: "bob" };

async function withFake(
  run: (fake: DiscordFake) => Promise<void>,
  options: Parameters<typeof startDiscordFake>[0] = {},
): Promise<void> {
  const fake = await startDiscordFake({ token: "connection-token", ...options });
  fake.addGuild({ id: GUILD, name: "Crab Club", channels: [{ id: GENERAL, name: "general" }] });
  try {
    await run(fake);
  } finally {
    await fake.close();
  }
}

describe("Discord channel: connection", () => {
  it("resumes after a dropped connection and receives a message sent meanwhile exactly once", () =>
    withFake(async (fake) => {
      const { channel, host } = await connectAdapter(fake);
      try {
        fake.injectMessage({ channelId: GENERAL, author: BOB, content: "before the drop" });
        await host.waitForMessage("before the drop");

        assert.equal(fake.dropConnections(), 1);
        fake.injectMessage({ channelId: GENERAL, author: BOB, content: "while away" });
        await host.waitForMessage("while away");
        fake.injectMessage({ channelId: GENERAL, author: BOB, content: "after the resume" });
        await host.waitForMessage("after the resume");

        assert.equal(fake.resumeCount, 1);
        assert.equal(fake.identifyCount, 1, "resumed, not re-identified");
        assert.match(fake.gatewayConnections.at(-1)?.url ?? "", /^\/resume\?v=10&encoding=json$/);
        for (const text of ["before the drop", "while away", "after the resume"]) {
          assert.equal(host.messagesWithText(text).length, 1, `"${text}" received once`);
        }
        const statuses = host.states.map((state) => state.status);
        assert.deepEqual(statuses, ["connecting", "connected", "reconnecting", "connected"]);
      } finally {
        await channel.stop();
      }
    }));

  it("stays exactly-once through five drops in a row", () =>
    withFake(async (fake) => {
      const { channel, host } = await connectAdapter(fake);
      try {
        const texts = Array.from({ length: 5 }, (_, i) => `missed ${i}`);
        for (const text of texts) {
          const connections = fake.gatewayConnections.length;
          fake.dropConnections();
          fake.injectMessage({ channelId: GENERAL, author: BOB, content: text });
          // Drop again as soon as the client reconnects, before it can resume, so the
          // session piles up missed events that a single final RESUME must replay.
          await fake.waitFor(
            () => fake.gatewayConnections.length > connections,
            15_000,
            "a reconnect",
          );
        }
        fake.injectMessage({ channelId: GENERAL, author: BOB, content: "sentinel" });
        await host.waitForMessage("sentinel");

        for (const text of texts)
          assert.equal(host.messagesWithText(text).length, 1, `"${text}" received once`);
        assert.equal(fake.identifyCount, 1);
        assert.equal(host.status, "connected");
      } finally {
        await channel.stop();
      }
    }));

  it("keeps the connection alive with acknowledged heartbeats", () =>
    withFake(
      async (fake) => {
        const { channel, host } = await connectAdapter(fake);
        try {
          // An unacknowledged heartbeat would make discord.js drop the link as a zombie and resume.
          await fake.waitFor(() => fake.heartbeatCount >= 4, 15_000, "four heartbeats");
          assert.equal(fake.resumeCount, 0);
          assert.equal(fake.identifyCount, 1);
          assert.equal(host.status, "connected");
        } finally {
          await channel.stop();
        }
      },
      { heartbeatIntervalMs: 100 },
    ));

  it("retries the login when Discord answers with server errors", () =>
    withFake(async (fake) => {
      // discord.js itself tries four times; the adapter's own retry takes over after that.
      fake.failNext("GET", "/gateway/bot", { status: 502, times: 4 });
      const { channel, host } = await connectAdapter(fake, {}, { awaitConnected: false });
      try {
        await host.waitForStatus("connected");
        const statuses = host.states.map((state) => state.status);
        assert.deepEqual(statuses, ["connecting", "reconnecting", "connected"]);
        assert.match(host.states[1]?.detail ?? "", /retrying/);
      } finally {
        await channel.stop();
      }
    }));

  it("reports auth_failed for a rejected token without retrying", () =>
    withFake(async (fake) => {
      const { channel, host } = await connectAdapter(
        fake,
        { token: "not-the-token" },
        { awaitConnected: false },
      );
      try {
        await host.waitForStatus("auth_failed");
        assert.match(host.states.at(-1)?.detail ?? "", /token/);
        assert.equal(fake.calls.filter((call) => call.path === "/gateway/bot").length, 1);
        assert.equal(fake.calls[0]?.status, 401);
        assert.equal(fake.gatewayConnections.length, 0);
      } finally {
        await channel.stop();
      }
      assert.deepEqual(
        host.states.map((state) => state.status),
        ["connecting", "auth_failed", "stopped"],
      );
    }));

  it("reports auth_failed when the token is reset while connected (close 4004)", () =>
    withFake(async (fake) => {
      const { channel, host } = await connectAdapter(fake);
      try {
        fake.revokeToken();
        await host.waitForStatus("auth_failed");
        assert.match(host.states.at(-1)?.detail ?? "", /4004/);
        assert.equal(fake.identifyCount, 1);
      } finally {
        await channel.stop();
      }
    }));

  it("explains a refused Message Content intent (close 4014)", () =>
    withFake(
      async (fake) => {
        const { channel, host } = await connectAdapter(fake, {}, { awaitConnected: false });
        try {
          await host.waitForStatus("auth_failed");
          assert.match(host.states.at(-1)?.detail ?? "", /Message Content intent/);
        } finally {
          await channel.stop();
        }
      },
      { privilegedIntentsEnabled: false },
    ));
});
