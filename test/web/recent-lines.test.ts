// The in-memory tail of the log behind GET /api/logs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, RecentLines, registerSecret } from "../../src/log.ts";

const sink = { write: () => undefined };

describe("recent log lines", () => {
  it("keeps the newest lines, oldest first, filtered by level", () => {
    const recent = new RecentLines(3);
    const log = createLogger("debug", sink, recent);
    log.debug("one");
    log.warn("two");
    log.info("three");
    log.error({ component: "x" }, "four");
    assert.deepEqual(
      recent.read().map((line) => [line.level, line.msg]),
      [
        ["warn", "two"],
        ["info", "three"],
        ["error", "four"],
      ],
    );
    assert.deepEqual(
      recent.read("warn").map((line) => line.msg),
      ["two", "four"],
    );
    assert.deepEqual(recent.read("trace", 1)[0]!.fields, { component: "x" });
  });

  it("holds lines only after secrets are masked, including ones registered later", () => {
    const recent = new RecentLines(10);
    const log = createLogger("info", sink, recent);
    registerSecret("sk-ant-secret-value-1");
    log.info(
      { apiKey: "sk-plain", note: "key sk-ant-secret-value-1" },
      "using sk-ant-secret-value-1",
    );
    log.info("later: tok-registered-afterwards");
    registerSecret("tok-registered-afterwards");
    const [first, second] = recent.read();
    assert.equal(first!.msg, "using [redacted]");
    assert.deepEqual(first!.fields, { apiKey: "[redacted]", note: "key [redacted]" });
    assert.equal(second!.msg, "later: [redacted]");
  });

  it("cuts a huge line down instead of keeping it whole", () => {
    const recent = new RecentLines(2);
    createLogger("info", sink, recent).info({ body: "x".repeat(100_000) }, "big");
    const [line] = recent.read();
    assert.equal(line!.msg, "big");
    assert.ok(JSON.stringify(line!.fields).length < 10_000);
  });
});
