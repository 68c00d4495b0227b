// Repeated log lines of one kind: the first at once, then one count per window.
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { createLogger, RecentLines } from "../src/log.ts";
import { LogThrottle } from "../src/log-throttle.ts";

function setUp(): { throttle: LogThrottle; messages: () => string[] } {
  const lines = new RecentLines(100);
  const logger = createLogger("info", { write: () => undefined }, lines);
  return {
    throttle: new LogThrottle(logger, 60_000),
    messages: () => lines.read().map((line) => `${line.level} ${line.msg}`),
  };
}

describe("log throttle", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  it("writes the first line, then one count per window while the kind repeats", () => {
    const { throttle, messages } = setUp();
    for (let i = 0; i < 50; i++) throttle.log("refused:1", "info", { groupId: 1 }, `refused ${i}`);
    assert.deepEqual(messages(), ["info refused 0"]);
    mock.timers.tick(60_000);
    assert.deepEqual(messages(), [
      "info refused 0",
      "info refused 49 (49 more like it in the last 60 s)",
    ]);
    for (let i = 0; i < 3; i++) throttle.log("refused:1", "info", { groupId: 1 }, "again");
    mock.timers.tick(60_000);
    assert.equal(messages().at(-1), "info again (3 more like it in the last 60 s)");
    // A quiet window ends the series: the next line is written at once.
    mock.timers.tick(60_000);
    throttle.log("refused:1", "info", { groupId: 1 }, "after a pause");
    assert.equal(messages().at(-1), "info after a pause");
    assert.equal(messages().length, 4);
  });

  it("keeps kinds apart and writes pending counts when closed", () => {
    const { throttle, messages } = setUp();
    throttle.log("a", "error", {}, "disk full");
    throttle.log("b", "warn", {}, "other");
    throttle.log("a", "error", {}, "disk full");
    assert.deepEqual(messages(), ["error disk full", "warn other"]);
    throttle.close();
    assert.deepEqual(messages(), [
      "error disk full",
      "warn other",
      "error disk full (1 more like it in the last 60 s)",
    ]);
    mock.timers.tick(120_000);
    assert.equal(messages().length, 3);
  });
});
