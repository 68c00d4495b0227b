import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "../src/log.ts";
import { routeConsoleToLogger } from "../src/console-capture.ts";

test("console output of libraries reaches the log with its words but not its objects", (t) => {
  const saved = { ...console };
  t.after(() => Object.assign(console, saved));
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  routeConsoleToLogger(createLogger("debug", sink));
  // What libsignal prints when it closes a session.
  console.info("Closing session:", {
    currentRatchet: { ephemeralKeyPair: { privKey: "c2VjcmV0LXJhdGNoZXQta2V5" } },
  });
  console.warn("Session already closed");
  const text = lines.join("");
  assert.match(text, /Closing session: \[1 value\(s\) not logged\]/);
  assert.match(text, /Session already closed/);
  assert.doesNotMatch(text, /c2VjcmV0LXJhdGNoZXQta2V5/);
});
