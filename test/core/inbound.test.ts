import { test } from "node:test";
import assert from "node:assert/strict";
import { isStopCommand } from "../../src/core/inbound.ts";

test("/stop is the command as typed or addressed to the bot in a group, nothing longer", () => {
  assert.equal(isStopCommand("/stop"), true);
  assert.equal(isStopCommand(" /STOP "), true);
  assert.equal(isStopCommand("/stop@pincer_bot"), true);
  assert.equal(isStopCommand("/stop the music"), false);
  assert.equal(isStopCommand("please /stop"), false);
});
