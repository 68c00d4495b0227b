// The signal-cli daemon fake answers the adapter's daemon client: JSON-RPC calls (results and
// errors) and the SSE event stream, including envelopes injected before the stream opened.
import assert from "node:assert/strict";
import { it } from "node:test";
import {
  SignalDaemon,
  SignalHttpError,
  SignalRpcError,
} from "../../../src/channels/signal/daemon.ts";
import { startSignalFake } from "../../fakes/signal/server.ts";

const bea = { number: "+15550000002", uuid: "uuid-bea", name: "Bea" };

it("talks JSON-RPC and streams envelopes like signal-cli's HTTP daemon", async (t) => {
  const fake = await startSignalFake({ account: "+15550000001" });
  t.after(() => fake.close());
  const daemon = new SignalDaemon(fake.url, fake.account);
  const sent = await daemon.call<{ timestamp: number }>("send", {
    recipient: [bea.number],
    message: "hi",
  });
  assert.equal(fake.sent[0]?.timestamp, sent.timestamp);
  assert.equal(fake.sent[0]?.message, "hi");
  assert.equal(fake.calls[0]?.params.account, fake.account);
  fake.failNext("send", { code: -5, message: "Rate limit" });
  await assert.rejects(
    daemon.call("send", { recipient: [bea.number], message: "x" }),
    (error: unknown) => error instanceof SignalRpcError && error.code === -5,
  );

  const first = fake.injectMessage({ from: bea, text: "held" });
  const abort = new AbortController();
  t.after(() => abort.abort());
  const events = (await daemon.events(abort.signal))[Symbol.asyncIterator]();
  const held = await events.next();
  assert.equal(held.value?.envelope.timestamp, first);
  assert.equal(held.value?.account, fake.account);
  const second = fake.injectMessage({
    from: bea,
    text: "live",
    group: { id: "Z3JvdXA=", name: "Family" },
  });
  const live = await events.next();
  assert.equal(live.value?.envelope.timestamp, second);
  assert.deepEqual((live.value?.envelope.dataMessage as { groupInfo: unknown }).groupInfo, {
    groupId: "Z3JvdXA=",
    groupName: "Family",
    revision: 1,
    type: "DELIVER",
  });
  fake.dropStreams();
  await assert.rejects(events.next());
});

it("refuses an account the daemon does not have", async (t) => {
  const fake = await startSignalFake({ account: "+15550000001", registered: false });
  t.after(() => fake.close());
  const daemon = new SignalDaemon(fake.url, fake.account);
  await assert.rejects(
    daemon.events(AbortSignal.timeout(10_000)),
    (error: unknown) => error instanceof SignalHttpError && error.status === 400,
  );
  await assert.rejects(daemon.call("version"), SignalRpcError);
});
