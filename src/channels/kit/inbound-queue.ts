// The one path from an adapter's platform events to the core. Events reach the core one at a
// time in the order the platform produced them (an edit never overtakes its message), and a
// failed store write follows one rule for every platform: retry with backoff, never drop,
// never acknowledge before the commit. Only stopping the channel ends the retries; the
// adapter then leaves the event unacknowledged, so a platform that redelivers does.
import type { Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import { sleep } from "../../time/sleep.ts";
import type { ChannelHost, InboundEvent } from "../channel.ts";

/**
 * What became of a queued event: `stored` (committed; acknowledge it), `skipped` (nothing
 * to store: the translation produced nothing or could not read the event; acknowledge it
 * too, a redelivery would fare no better) or `stopped` (the channel stopped first; do not).
 */
export type InboundOutcome = "stored" | "skipped" | "stopped";

export interface InboundQueueOptions {
  logger: Logger;
  /** First wait after a failed store, doubling up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** An event, or its translation already under way (started at once, awaited in turn). */
export type PendingEvent = InboundEvent | null | Promise<InboundEvent | null>;

export class InboundQueue {
  readonly #log: Logger;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  #host: ChannelHost | null = null;
  #abort = new AbortController();
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: InboundQueueOptions) {
    this.#log = options.logger;
    this.#retryBaseMs = options.retryBaseMs ?? 500;
    this.#retryMaxMs = options.retryMaxMs ?? 30_000;
  }

  /** Starts handing events to `host` (again, after a close). */
  open(host: ChannelHost): void {
    this.#host = host;
    this.#abort = new AbortController();
  }

  /** Ends any retry in progress and waits until the queue is idle; later pushes are `stopped`. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#tail;
  }

  /** Queues an event behind the earlier ones; resolves once it is stored, skipped or stopped. */
  push(event: PendingEvent): Promise<InboundOutcome> {
    const translation = Promise.resolve(event);
    // Awaited in turn below; this keeps Node from reporting it unhandled meanwhile.
    translation.catch(() => undefined);
    const outcome = this.#tail.then(() => this.#deliver(translation));
    this.#tail = outcome;
    return outcome;
  }

  async #deliver(translation: Promise<InboundEvent | null>): Promise<InboundOutcome> {
    let event: InboundEvent | null;
    try {
      event = await translation;
    } catch (error) {
      this.#log.warn({ err: error }, "could not read an incoming event; it is skipped");
      return "skipped";
    }
    if (!event) return "skipped";
    const signal = this.#abort.signal;
    for (let attempt = 1; ; attempt += 1) {
      const host = this.#host;
      if (!host || signal.aborted) return "stopped";
      try {
        await host.receive(event);
        return "stored";
      } catch (error) {
        const retryInMs = backoffMs(attempt, this.#retryBaseMs, this.#retryMaxMs);
        this.#log.error(
          { err: error, event: event.type, attempt, retryInMs },
          "incoming message not stored yet; retrying",
        );
        await sleep(retryInMs, signal);
      }
    }
  }
}
