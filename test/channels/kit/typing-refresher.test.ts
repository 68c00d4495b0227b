import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TypingRefresher } from "../../../src/channels/kit/typing-refresher.ts";

describe("TypingRefresher", () => {
  it("sends at once, renews on its timer and stops when asked", async (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    const sent: string[] = [];
    const typing = new TypingRefresher(1000, async (chatId) => void sent.push(chatId));
    await typing.start("c1");
    assert.deepEqual(sent, ["c1"]);
    await typing.start("c1");
    assert.deepEqual(sent, ["c1"], "a chat already typing is not asked again");
    t.mock.timers.tick(1000);
    t.mock.timers.tick(1000);
    await Promise.resolve();
    assert.equal(sent.length, 3);
    typing.stop("c1");
    t.mock.timers.tick(5000);
    assert.equal(sent.length, 3);
  });

  it("stops renewing a chat that refuses typing for good", async (t) => {
    t.mock.timers.enable({ apis: ["setInterval"] });
    let sent = 0;
    const typing = new TypingRefresher(1000, async () => {
      sent += 1;
      return false;
    });
    await typing.start("c1");
    t.mock.timers.tick(3000);
    await Promise.resolve();
    assert.equal(sent, 1);
    await typing.start("c1");
    assert.equal(sent, 2, "a later start asks again");
    typing.stopAll();
  });
});
