// Paces the edits of one preview message to what a platform tolerates. Only the latest text
// matters: while an edit is in flight or the pause after one runs, newer texts replace each
// other and at most one edit follows. A platform's "too many requests" stretches the pause to
// what it asked for (or doubles it), so a 429 storm means fewer edits, never queued ones.

/** What an edit attempt came to; `retryAfterMs` when the platform asked to slow down. */
export type EditOutcome = { ok: true } | { ok: false; retryAfterMs?: number | undefined };

export interface PacerClock {
  now(): number;
  /** Runs `run` after `ms`; returns how to cancel it. */
  after(ms: number, run: () => void): () => void;
}

export const realClock: PacerClock = {
  now: () => Date.now(),
  after(ms, run) {
    const timer = setTimeout(run, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface EditPacerOptions {
  /** The shortest pause between the start of one edit and the next. */
  minIntervalMs: number;
  /** The longest pause a run of refusals may stretch it to. */
  maxIntervalMs: number;
  perform(text: string): Promise<EditOutcome>;
  clock?: PacerClock;
}

export class EditPacer {
  private readonly options: EditPacerOptions;
  private readonly clock: PacerClock;
  /** The newest text not yet handed to perform. */
  private pending: string | undefined;
  private inFlight: Promise<void> | undefined;
  private cancelTimer: (() => void) | undefined;
  /** Not before this time may the next edit start. */
  private notBefore = 0;
  private pause: number;
  private stopped = false;

  constructor(options: EditPacerOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.pause = options.minIntervalMs;
  }

  /** The text the message should show now; replaces any text still waiting. */
  update(text: string): void {
    if (this.stopped) return;
    this.pending = text;
    this.pump();
  }

  /** Drops what waits and resolves once no edit is in flight: after this, none starts. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending = undefined;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.inFlight;
  }

  private pump(): void {
    if (this.inFlight || this.cancelTimer || this.pending === undefined || this.stopped) return;
    const wait = this.notBefore - this.clock.now();
    if (wait > 0) {
      this.cancelTimer = this.clock.after(wait, () => {
        this.cancelTimer = undefined;
        this.pump();
      });
      return;
    }
    const text = this.pending;
    this.pending = undefined;
    this.notBefore = this.clock.now() + this.options.minIntervalMs;
    this.inFlight = this.options.perform(text).then(
      (outcome) => this.settle(text, outcome),
      () => this.settle(text, { ok: false }),
    );
  }

  private settle(text: string, outcome: EditOutcome): void {
    this.inFlight = undefined;
    const { minIntervalMs, maxIntervalMs } = this.options;
    if (outcome.ok) this.pause = minIntervalMs;
    else {
      // Doubling stops at the cap; what the platform asked for is always waited out.
      this.pause = Math.max(Math.min(maxIntervalMs, this.pause * 2), outcome.retryAfterMs ?? 0);
      this.notBefore = Math.max(this.notBefore, this.clock.now() + this.pause);
      // The refused text is tried again unless a newer one came meanwhile.
      this.pending ??= text;
    }
    this.pump();
  }
}
