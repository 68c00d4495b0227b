// Runs work at most once per key among recent keys. Slack can hand over the same message
// twice (a `message` and an `app_mention` event, or a redelivery of an envelope whose ack
// was lost); a second arrival waits for the first and is skipped if that one succeeded.
export class OnceByKey {
  private readonly done = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  async run(key: string, work: () => Promise<void>): Promise<void> {
    for (;;) {
      if (this.done.has(key)) return;
      const running = this.running.get(key);
      if (!running) break;
      // A failed first attempt leaves the key open, so this arrival does the work.
      await running.catch(() => undefined);
    }
    const attempt = work();
    this.running.set(key, attempt);
    try {
      await attempt;
      this.remember(key);
    } finally {
      this.running.delete(key);
    }
  }

  private remember(key: string): void {
    this.done.add(key);
    if (this.done.size <= this.capacity) return;
    const oldest = this.done.values().next();
    if (!oldest.done) this.done.delete(oldest.value);
  }
}
