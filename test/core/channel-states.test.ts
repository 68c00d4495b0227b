import { test } from "node:test";
import assert from "node:assert/strict";
import { ChannelStates } from "../../src/core/channel-states.ts";
import { createLogger } from "../../src/log.ts";

test("a channel's state is kept once per change, in the order channels first reported", () => {
  const states = new ChannelStates(createLogger("silent"));
  const first = states.set("telegram", { status: "connecting" });
  assert.equal(first?.status, "connecting");
  assert.equal(states.set("telegram", { status: "connecting" }), undefined, "a repeat is dropped");
  states.set("slack", { status: "connected" });
  assert.equal(states.set("telegram", { status: "connected" })?.status, "connected");
  assert.equal(
    states.set("telegram", { status: "connected", detail: "as @bot" })?.detail,
    "as @bot",
    "a new detail is a change",
  );
  assert.deepEqual(
    states.all().map(([name, state]) => [name, state.status]),
    [
      ["telegram", "connected"],
      ["slack", "connected"],
    ],
  );
  assert.equal(states.get("whatsapp"), undefined);
});
