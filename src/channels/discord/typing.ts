// Discord shows "is typing…" for about ten seconds per request, so an indicator that
// should stay on is renewed every eight seconds until it is switched off.

const REFRESH_MS = 8_000;

export class TypingRefresher {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #trigger: (chatId: string) => Promise<void>;

  constructor(trigger: (chatId: string) => Promise<void>) {
    this.#trigger = trigger;
  }

  async start(chatId: string): Promise<void> {
    if (this.#timers.has(chatId)) return;
    const timer = setInterval(() => void this.#trigger(chatId), REFRESH_MS);
    timer.unref();
    this.#timers.set(chatId, timer);
    await this.#trigger(chatId);
  }

  stop(chatId: string): void {
    clearInterval(this.#timers.get(chatId));
    this.#timers.delete(chatId);
  }

  stopAll(): void {
    for (const chatId of [...this.#timers.keys()]) this.stop(chatId);
  }
}
