// Which failed Matrix calls the outbox retries, and when the token is gone for good.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectionError, MatrixError } from "matrix-js-sdk";
import { TransientSendError } from "../../../src/channels/channel.ts";
import { describe, isUnknownToken, toSendError } from "../../../src/channels/matrix/send-errors.ts";

test("rate limits (with their wait), server errors and lost connections retry; the rest do not", () => {
  const limited = toSendError(
    new MatrixError({ errcode: "M_LIMIT_EXCEEDED", error: "slow", retry_after_ms: 1500 }, 429),
  );
  assert.ok(limited instanceof TransientSendError);
  assert.equal(limited.retryAfterMs, 1500);
  assert.ok(
    toSendError(new MatrixError({ errcode: "M_UNKNOWN" }, 502)) instanceof TransientSendError,
  );
  assert.ok(toSendError(new ConnectionError("down")) instanceof TransientSendError);
  const forbidden = new MatrixError({ errcode: "M_FORBIDDEN", error: "no" }, 403);
  assert.equal(toSendError(forbidden), forbidden);
  assert.equal(describe(forbidden), "403 M_FORBIDDEN no");
});

test("a 401 or M_UNKNOWN_TOKEN means the token is gone", () => {
  assert.equal(isUnknownToken(new MatrixError({ errcode: "M_UNKNOWN_TOKEN" }, 401)), true);
  assert.equal(isUnknownToken(new MatrixError({ errcode: "M_FORBIDDEN" }, 403)), false);
  assert.equal(isUnknownToken(new Error("x")), false);
});
