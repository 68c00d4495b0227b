import { test } from "node:test";
import assert from "node:assert/strict";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { classify, ConnectError } from "../../src/mcp/connect-errors.ts";

test("a refused credential needs sign-in; a timeout and the rest are failures", () => {
  assert.equal(classify(new UnauthorizedError("no")).status, "needs_sign_in");
  assert.equal(classify(Object.assign(new Error("x"), { code: 401 })).status, "needs_sign_in");
  assert.equal(classify(new Error("HTTP 401 Unauthorized")).status, "needs_sign_in");
  const slow = classify(new Error("Request timed out"));
  assert.deepEqual([slow.status, slow.message], ["failing", "it did not answer in time"]);
  const other = classify(new Error("ECONNREFUSED"));
  assert.deepEqual([other.status, other.message], ["failing", "ECONNREFUSED"]);
  const known = new ConnectError("failing", "no such server");
  assert.equal(classify(known), known);
});
