// The channel table: every platform names its variables and says how to turn it on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CHANNEL_TABLE } from "../../src/channels/registry.ts";

test("every descriptor names its variables, credentials first, and tells how to turn it on", () => {
  for (const descriptor of CHANNEL_TABLE) {
    assert.ok(descriptor.variables.length > 0, descriptor.name);
    assert.ok(descriptor.setupHint.includes(descriptor.variables[0]!), descriptor.name);
  }
});
