import { test } from "node:test";
import assert from "node:assert/strict";
import { wallClock } from "../../src/time/wall-clock.ts";

test("an instant reads as the wall clock of the zone it is shown in", () => {
  const at = Date.parse("2026-03-20T13:00:00Z");
  assert.equal(wallClock(at, "America/New_York"), "Fri, 20 Mar 2026, 09:00");
  assert.equal(wallClock(at, "Asia/Tokyo"), "Fri, 20 Mar 2026, 22:00");
  assert.equal(wallClock(at, "America/New_York"), "Fri, 20 Mar 2026, 09:00");
});
