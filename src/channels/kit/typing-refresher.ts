// Platforms show "typing…" for a few seconds per request, so an indicator that should stay
// on is renewed on a timer until it is switched off. One refresher per adapter, keyed by chat.

/** Sends one typing request; resolves false when the chat refuses it for good (stop asking). */
export type TypingTrigger = (chatId: string) => Promise<boolean | void>;

export class TypingRefresher {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #refreshMs: number;
  readonly #trigger: TypingTrigger;

  /** `refreshMs` is a little under how long the platform keeps showing one request. */
  constructor(refreshMs: number, trigger: TypingTrigger) {
    this.#refreshMs = refreshMs;
    this.#trigger = trigger;
  }

  /** Shows typing now and keeps it on; a chat already typing is left as it is. */
  async start(chatId: string): Promise<void> {
    if (this.#timers.has(chatId)) return;
    const timer = setInterval(() => void this.#send(chatId), this.#refreshMs);
    timer.unref();
    this.#timers.set(chatId, timer);
    await this.#send(chatId);
  }

  stop(chatId: string): void {
    clearInterval(this.#timers.get(chatId));
    this.#timers.delete(chatId);
  }

  stopAll(): void {
    for (const chatId of [...this.#timers.keys()]) this.stop(chatId);
  }

  async #send(chatId: string): Promise<void> {
    if ((await this.#trigger(chatId)) === false) this.stop(chatId);
  }
}
