// The channel table: which platforms run for a configuration, and what the others say.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHANNEL_TABLE, configuredChannels } from "../../src/channels/registry.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";

test("with no platform variables every platform is skipped, in table order, with what to set", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pincer-registry-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const plan = await configuredChannels(loadConfig({ DATA_DIR: dir }), createLogger("silent"));
  assert.deepEqual(plan.channels, []);
  assert.deepEqual(
    plan.skipped.map((skipped) => skipped.name),
    ["telegram", "discord", "slack", "whatsapp", "signal", "matrix", "email"],
  );
  assert.match(plan.skipped[2]!.detail, /SLACK_BOT_TOKEN and SLACK_APP_TOKEN/);
});

test("a configured platform is created from its descriptor and named as in the table", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pincer-registry-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = loadConfig({ DATA_DIR: dir, DISCORD_BOT_TOKEN: "token-not-used" });
  const plan = await configuredChannels(config, createLogger("silent"));
  assert.deepEqual(
    plan.channels.map((channel) => channel.name),
    ["discord"],
  );
  assert.equal(plan.skipped.length, CHANNEL_TABLE.length - 1);
});

test("every descriptor names its variables, credentials first, and tells how to turn it on", () => {
  for (const descriptor of CHANNEL_TABLE) {
    assert.ok(descriptor.variables.length > 0, descriptor.name);
    assert.ok(descriptor.setupHint.includes(descriptor.variables[0]!), descriptor.name);
  }
});
