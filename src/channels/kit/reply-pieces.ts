// The outbound pipeline every adapter shares: render and split a reply into the platform's
// pieces, then send them in order. The first piece fails like a whole send (the outbox
// retries the reply later). Once a piece is out, the outbox retrying the whole reply would
// repeat it, so a later piece that fails transiently is retried here, in place, by the
// adapter's policy (wait out a rate limit, wait for a reconnect).
import type { Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import { sleep } from "../../time/sleep.ts";
import { TransientSendError } from "../channel.ts";

/** Waits before retry `attempt` of a later piece; resolves false to give up (the send fails). */
export type RetryInPlace = (error: TransientSendError, attempt: number) => Promise<boolean>;

export interface ReplyPieces<Piece> {
  pieces: readonly Piece[];
  /** Sends one piece, returning the platform's message id; a retryable failure is a TransientSendError. */
  send(piece: Piece, index: number): Promise<string>;
  retryLaterPiece: RetryInPlace;
}

/** Sends the pieces in order and returns their ids. */
export async function sendPieces<Piece>(reply: ReplyPieces<Piece>): Promise<string[]> {
  const ids: string[] = [];
  for (const [index, piece] of reply.pieces.entries()) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        ids.push(await reply.send(piece, index));
        break;
      } catch (error) {
        const retry =
          index > 0 &&
          error instanceof TransientSendError &&
          (await reply.retryLaterPiece(error, attempt));
        if (!retry) throw error;
      }
    }
  }
  return ids;
}

export interface RateLimitWait {
  /** Tries per piece, the first included. */
  attempts: number;
  /** A wait the platform asks for beyond this fails the send instead (the outbox takes over). */
  maxWaitMs: number;
  logger: Logger;
  signal?: AbortSignal;
}

/** The usual policy: wait what the platform asked for (Retry-After), or back off from 500 ms. */
export function waitOutRateLimits(policy: RateLimitWait): RetryInPlace {
  return async (error, attempt) => {
    const wait = error.retryAfterMs ?? backoffMs(attempt, 500, policy.maxWaitMs);
    if (attempt >= policy.attempts || wait > policy.maxWaitMs || policy.signal?.aborted)
      return false;
    policy.logger.warn({ err: error, retryInMs: wait }, "a reply piece was refused; retrying it");
    await sleep(wait, policy.signal);
    return !policy.signal?.aborted;
  };
}
