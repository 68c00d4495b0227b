import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../../../src/log.ts";
import { TransientSendError } from "../../../src/channels/channel.ts";
import { sendPieces, waitOutRateLimits } from "../../../src/channels/kit/reply-pieces.ts";

const logger = createLogger("silent");

describe("sendPieces", () => {
  it("sends every piece in order and returns their ids", async () => {
    const sent: string[] = [];
    const ids = await sendPieces({
      pieces: ["a", "b", "c"],
      send: async (piece, index) => {
        sent.push(piece);
        return `id-${index}`;
      },
      retryLaterPiece: async () => true,
    });
    assert.deepEqual(sent, ["a", "b", "c"]);
    assert.deepEqual(ids, ["id-0", "id-1", "id-2"]);
  });

  it("a failed first piece fails the send at once, so the outbox retries the reply", async () => {
    let policyAsked = false;
    await assert.rejects(
      sendPieces({
        pieces: ["a", "b"],
        send: async () => {
          throw new TransientSendError("429", 10);
        },
        retryLaterPiece: async () => (policyAsked = true),
      }),
      TransientSendError,
    );
    assert.equal(policyAsked, false);
  });

  it("retries a later piece in place, never repeating the pieces already out", async () => {
    const sent: string[] = [];
    let refusals = 2;
    const ids = await sendPieces({
      pieces: ["a", "b"],
      send: async (piece) => {
        if (piece === "b" && refusals-- > 0) throw new TransientSendError("429", 1);
        sent.push(piece);
        return piece;
      },
      retryLaterPiece: waitOutRateLimits({ attempts: 4, maxWaitMs: 1000, logger }),
    });
    assert.deepEqual(sent, ["a", "b"]);
    assert.deepEqual(ids, ["a", "b"]);
  });

  it("gives up on a later piece after the policy's attempts, or a permanent error", async () => {
    let tries = 0;
    await assert.rejects(
      sendPieces({
        pieces: ["a", "b"],
        send: async (piece) => {
          if (piece === "a") return "a";
          tries += 1;
          throw new TransientSendError("429", 1);
        },
        retryLaterPiece: waitOutRateLimits({ attempts: 3, maxWaitMs: 1000, logger }),
      }),
      TransientSendError,
    );
    assert.equal(tries, 3);
    await assert.rejects(
      sendPieces({
        pieces: ["a", "b"],
        send: async (piece) => {
          if (piece === "a") return "a";
          throw new Error("chat not found");
        },
        retryLaterPiece: async () => true,
      }),
      /chat not found/,
    );
  });

  it("does not wait out a rate limit longer than the policy allows", async () => {
    const retry = waitOutRateLimits({ attempts: 10, maxWaitMs: 1000, logger });
    assert.equal(await retry(new TransientSendError("429", 5000), 1), false);
    assert.equal(await retry(new TransientSendError("429", 1), 1), true);
  });
});
