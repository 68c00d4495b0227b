// The bot's one reaction per Discord message: replaced in order, even when a call is held up.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { REST } from "discord.js";
import { OwnReactions } from "../../../src/channels/discord/reactions.ts";
import { deferred } from "../../helpers/wait.ts";

test("a replacement waits for the held-up reaction it replaces", async () => {
  const calls: string[] = [];
  const held = deferred();
  const firstPut = deferred();
  const rest = {
    put: async (route: string) => {
      calls.push(`put ${decodeURIComponent(route.split("/reactions/")[1]!)}`);
      if (calls.length === 1) {
        firstPut.resolve();
        await held.promise;
      }
    },
    delete: async (route: string) => {
      calls.push(`delete ${decodeURIComponent(route.split("/reactions/")[1]!)}`);
    },
  } as unknown as REST;
  const reactions = new OwnReactions(() => rest);
  const eyes = reactions.set("c", "m", "👀");
  const done = reactions.set("c", "m", "✅");
  const again = reactions.set("c", "m", "✅");
  await firstPut.promise;
  // The ✅ waits while the 👀 is held up: nothing else has been asked for.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(calls, ["put 👀/@me"]);
  held.resolve();
  await Promise.all([eyes, done, again]);
  assert.deepEqual(calls, ["put 👀/@me", "delete 👀/@me", "put ✅/@me"]);
  await reactions.set("c", "m", null);
  assert.deepEqual(calls.at(-1), "delete ✅/@me");
});
