import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  APP_TOKEN,
  ALICE,
  GENERAL,
  startSlackHarness,
  type SlackHarness,
} from "../../fakes/slack/harness.ts";
import { messageWithText } from "../../fakes/slack/recording-host.ts";

// Socket Mode reconnects are real: each takes the adapter's first back-off step.
const RECONNECT_WAIT_MS = 20_000;

describe("Slack Socket Mode connection", () => {
  let h: SlackHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test("a dropped connection reconnects; envelopes are acked only once stored and arrive once", async () => {
    h = await startSlackHarness();
    const { fake, host } = h;
    const release = host.holdReceives();
    const first = fake.injectMessage({ channel: GENERAL, user: ALICE, text: "before the drop" });
    await host.waitForStarted((e) => e.type === "message" && e.message.messageId === first);
    const envelopeA = await fake.waitForEnvelope(
      (e) => e.event.ts === first && e.event.type === "message",
    );
    assert.equal(envelopeA.acked, false, "acked before the store committed");

    const statesBefore = host.states.length;
    fake.dropConnections();
    await host.waitForStatus("reconnecting", statesBefore);
    const second = fake.injectMessage({ channel: GENERAL, user: ALICE, text: "while away" });
    await fake.waitForConnections(2, RECONNECT_WAIT_MS);
    await host.waitForStatus("connected", statesBefore, RECONNECT_WAIT_MS);
    // Slack redelivers the unacked envelope on the new connection (retry_attempt 1).
    await fake.waitForEnvelope((e) => e === envelopeA && e.deliveries === 2);

    release();
    await fake.waitForEnvelope((e) => e === envelopeA && e.acked);
    await fake.waitForEnvelope((e) => e.event.ts === second && e.acked);
    const received = (ts: string) =>
      host.events.filter((e) => e.type === "message" && e.message.messageId === ts).length;
    assert.equal(received(first), 1);
    assert.equal(received(second), 1);
    assert.equal(fake.envelopes.find((e) => e.event.ts === second)?.deliveries, 1);
  });

  test("an event the store could not take is not acked, and is stored when Slack redelivers it", async () => {
    h = await startSlackHarness();
    const { fake, host } = h;
    host.failNextReceive(new Error("disk full"));
    const ts = fake.injectMessage({ channel: GENERAL, user: ALICE, text: "keep me" });
    await host.waitForStarted((e) => e.type === "message" && e.message.messageId === ts);
    const envelope = await fake.waitForEnvelope(
      (e) => e.event.ts === ts && e.event.type === "message",
    );
    fake.dropConnections();
    await fake.waitForEnvelope((e) => e === envelope && e.acked, RECONNECT_WAIT_MS);
    assert.equal(envelope.deliveries, 2);
    assert.equal(
      host.events.filter((e) => e.type === "message" && e.message.messageId === ts).length,
      1,
    );
  });

  test("refresh_requested is followed by a reconnect, and messages keep flowing", async () => {
    h = await startSlackHarness();
    const { fake, host } = h;
    const statesBefore = host.states.length;
    fake.requestRefresh();
    await fake.waitForConnections(2, RECONNECT_WAIT_MS);
    await host.waitForStatus("connected", statesBefore, RECONNECT_WAIT_MS);
    assert.ok(host.states.slice(statesBefore).some((s) => s.status === "reconnecting"));
    fake.injectMessage({ channel: GENERAL, user: ALICE, text: "after the refresh" });
    await host.waitForEvent(messageWithText("after the refresh"));
    assert.equal(fake.calls.filter((c) => c.method === "apps.connections.open").length, 2);
  });

  test("a wrong bot token is auth_failed with a clear detail, without retrying", async () => {
    h = await startSlackHarness({ botToken: "xoxb-wrong" });
    assert.equal(h.host.status, "auth_failed");
    assert.match(h.host.states.at(-1)?.detail ?? "", /bot token.*SLACK_BOT_TOKEN.*invalid_auth/);
    assert.equal(h.fake.calls.filter((c) => c.method === "auth.test").length, 1);
    assert.equal(h.fake.calls.filter((c) => c.method === "apps.connections.open").length, 0);
  });

  test("a wrong app-level token is auth_failed with a clear detail, without retrying", async () => {
    h = await startSlackHarness({ appToken: "xapp-wrong" });
    assert.equal(h.host.status, "auth_failed");
    assert.match(
      h.host.states.at(-1)?.detail ?? "",
      /app-level token.*SLACK_APP_TOKEN.*invalid_auth/,
    );
    assert.equal(h.fake.calls.filter((c) => c.method === "apps.connections.open").length, 1);
    assert.equal(h.fake.openConnections, 0);
  });

  test("an app token revoked while connected stops reconnection with auth_failed", async () => {
    h = await startSlackHarness();
    const { fake, host } = h;
    fake.revokeToken(APP_TOKEN);
    fake.dropConnections();
    const failed = await host.waitForStatus("auth_failed", 0, RECONNECT_WAIT_MS);
    assert.match(failed.detail ?? "", /SLACK_APP_TOKEN.*token_revoked/);
    assert.equal(fake.calls.filter((c) => c.method === "apps.connections.open").length, 2);
  });

  test("stop() closes the socket and reports stopped", async () => {
    h = await startSlackHarness();
    assert.equal(h.fake.openConnections, 1);
    await h.channel.stop();
    assert.equal(h.host.status, "stopped");
    await h.fake.waitForOpenConnections(0);
  });
});
