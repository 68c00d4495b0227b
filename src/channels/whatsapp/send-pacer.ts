// Spaces outbound messages: WhatsApp bans numbers that send bursts of automated
// messages, so each send waits until at least `minGapMs` (± `jitterMs`, so the rhythm does
// not look machine-made) after the previous one. Concurrent callers reserve consecutive
// slots, so the gap holds across chats too.

export interface SendPacerOptions {
  minGapMs: number;
  jitterMs: number;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class SendPacer {
  private readonly minGapMs: number;
  private readonly jitterMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private nextSlot = -Infinity;

  constructor(options: SendPacerOptions) {
    this.minGapMs = options.minGapMs;
    this.jitterMs = options.jitterMs;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Resolves when the caller may send. */
  async wait(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    const jitter = (this.random() * 2 - 1) * this.jitterMs;
    this.nextSlot = slot + Math.max(0, this.minGapMs + jitter);
    if (slot > now) await this.sleep(slot - now);
  }
}
