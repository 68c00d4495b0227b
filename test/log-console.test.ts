// The log in a terminal: readable lines, JSON otherwise, and secrets masked either way.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, RecentLines, registerSecret } from "../src/log.ts";
import { consoleDestination, formatLogLine } from "../src/log-console.ts";

/** A stand-in for process.stdout that records what is written. */
function terminal(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY,
    write: (chunk: string) => chunks.push(chunk) > 0,
    text: () => chunks.join(""),
  } as unknown as NodeJS.WriteStream & { text: () => string };
}

const NOON_UTC = Date.UTC(2026, 0, 15, 12, 4, 5);

describe("console log format", () => {
  it("prints time in the service's zone, level, message and the other fields", () => {
    const line = JSON.stringify({
      level: 40,
      time: NOON_UTC,
      pid: 1,
      hostname: "h",
      msg: "channel down",
      channel: "telegram",
      err: "ETIMEDOUT",
    });
    assert.equal(
      formatLogLine(line, { timeZone: "Europe/Berlin", colour: false }),
      "13:04:05 WARN  channel down  channel=telegram err=ETIMEDOUT\n",
    );
  });

  it("keeps a long field on one line and short", () => {
    const line = JSON.stringify({ level: 30, time: NOON_UTC, msg: "m", body: "a\nb".repeat(200) });
    const out = formatLogLine(line, { timeZone: "UTC", colour: false });
    assert.equal(out.split("\n").length, 2);
    assert.ok(out.length < 260, `${out.length} characters`);
  });

  it("draws a notice as a framed block", () => {
    const line = JSON.stringify({ level: 30, time: NOON_UTC, msg: "one\ntwo", notice: true });
    const out = formatLogLine(line, { timeZone: "UTC", colour: false });
    assert.match(out, /┌─+\n│ one\n│ two\n└─+\n/);
  });

  it("writes JSON (pino's own stdout) when stdout is not a terminal", () => {
    assert.equal(consoleDestination("UTC", terminal(false)), undefined);
  });

  it("never prints a registered secret in the terminal, in the message or a field", () => {
    const secret = "sk-ant-console-secret-4242";
    registerSecret(secret);
    const stdout = terminal(true);
    const logger = createLogger("info", consoleDestination("UTC", stdout, {}), new RecentLines(10));
    logger.info({ detail: `upstream said ${secret}`, nested: { x: secret } }, `key ${secret}`);
    logger.info({ notice: true }, `block ${secret}`);
    const text = stdout.text();
    assert.ok(!text.includes(secret), text);
    assert.match(text, /INFO.*key \[redacted\]/);
    assert.doesNotMatch(text, /^\{/m, "no JSON lines");
  });

  it("colours the level unless NO_COLOR is set", () => {
    const line = JSON.stringify({ level: 50, time: NOON_UTC, msg: "bad" });
    assert.ok(formatLogLine(line, { timeZone: "UTC", colour: true }).includes("\x1b[31mERROR"));
    const stdout = terminal(true);
    consoleDestination("UTC", stdout, { NO_COLOR: "1" })!.write(line);
    assert.ok(!stdout.text().includes("\x1b"));
  });
});
