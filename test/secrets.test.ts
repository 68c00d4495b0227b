import { test } from "node:test";
import assert from "node:assert/strict";
import { safeEqual } from "../src/secrets.ts";

test("safeEqual tells equal secrets from different ones of any length", () => {
  assert.equal(safeEqual("token-123", "token-123"), true);
  assert.equal(safeEqual("token-123", "token-124"), false);
  assert.equal(safeEqual("token-123", "token-12"), false);
  assert.equal(safeEqual("", ""), true);
  assert.equal(safeEqual("", "x"), false);
});
