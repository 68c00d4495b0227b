import { test } from "node:test";
import assert from "node:assert/strict";
import { addDays, dayBounds, dayOf, startOfDay } from "../../src/time/day.ts";

const HOUR = 3600_000;
const localTime = (at: number, timeZone: string) =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);

test("the day of an instant depends on the time zone", () => {
  const at = Date.parse("2026-11-25T23:30:00Z");
  assert.equal(dayOf(at, "UTC"), "2026-11-25");
  assert.equal(dayOf(at, "Europe/Berlin"), "2026-11-26");
  assert.equal(dayOf(at, "America/Los_Angeles"), "2026-11-25");
  assert.equal(dayOf(Date.parse("2026-11-25T10:00:00Z"), "Pacific/Kiritimati"), "2026-11-26");
  assert.equal(dayOf(Date.parse("2026-11-25T10:00:00Z"), "Pacific/Pago_Pago"), "2026-11-24");
});

test("adding days crosses months, years and leap days", () => {
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(addDays("2028-02-28", 1), "2028-02-29");
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
  assert.equal(addDays("2026-11-25", -13), "2026-11-12");
});

test("a day starts at local midnight", () => {
  assert.equal(startOfDay("2026-11-25", "UTC"), Date.parse("2026-11-25T00:00:00Z"));
  assert.equal(startOfDay("2026-11-25", "Europe/Berlin"), Date.parse("2026-11-24T23:00:00Z"));
  assert.equal(startOfDay("2026-11-25", "Asia/Kolkata"), Date.parse("2026-11-24T18:30:00Z"));
  assert.equal(startOfDay("2026-11-25", "America/New_York"), Date.parse("2026-11-25T05:00:00Z"));
});

test("DST days are 23 and 25 hours long and end at the next local midnight", () => {
  const spring = dayBounds("2026-03-08", "America/New_York");
  assert.equal(spring.start, Date.parse("2026-03-08T05:00:00Z"));
  assert.equal(spring.end - spring.start, 23 * HOUR);
  const autumn = dayBounds("2026-11-01", "America/New_York");
  assert.equal(autumn.end - autumn.start, 25 * HOUR);
  const berlin = dayBounds("2026-10-25", "Europe/Berlin");
  assert.equal(berlin.start, Date.parse("2026-10-24T22:00:00Z"));
  assert.equal(berlin.end, Date.parse("2026-10-25T23:00:00Z"));
  // The hour after 01:59 repeats in the autumn; both are still the same day.
  assert.equal(dayOf(Date.parse("2026-11-01T05:30:00Z"), "America/New_York"), "2026-11-01");
  assert.equal(dayOf(Date.parse("2026-11-01T06:30:00Z"), "America/New_York"), "2026-11-01");
});

test("where midnight is skipped the day starts at the first minute that exists", () => {
  // Chile moves its clocks from 24:00 to 01:00 on the first Sunday of September.
  const day = dayBounds("2026-09-06", "America/Santiago");
  assert.equal(localTime(day.start, "America/Santiago"), "01:00");
  assert.equal(dayOf(day.start - 60_000, "America/Santiago"), "2026-09-05");
  assert.equal(day.end - day.start, 23 * HOUR);
  assert.equal(dayBounds("2026-09-05", "America/Santiago").end, day.start);
});

test("consecutive days tile time without gaps or overlaps", () => {
  for (const timeZone of ["UTC", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"]) {
    let day = "2026-01-01";
    let previous = dayBounds(day, timeZone);
    for (let i = 0; i < 366; i++) {
      day = addDays(day, 1);
      const next = dayBounds(day, timeZone);
      assert.equal(next.start, previous.end, `${timeZone} ${day}`);
      assert.equal(dayOf(next.start, timeZone), day);
      assert.equal(dayOf(next.start - 60_000, timeZone), addDays(day, -1));
      previous = next;
    }
  }
});
