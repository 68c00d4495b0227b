// Timers whose callbacks run only when the test says so, so a reconnect schedule can be
// read and stepped through without waiting for it.
import type { Timers } from "../../../src/channels/whatsapp/channel.ts";

interface Entry {
  callback: () => void;
  ms: number;
}

export class ManualTimers implements Timers {
  readonly pending = new Set<Entry>();
  /** Every delay ever scheduled, in order. */
  readonly scheduled: number[] = [];

  setTimeout(callback: () => void, ms: number): unknown {
    const entry = { callback, ms };
    this.pending.add(entry);
    this.scheduled.push(ms);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as Entry);
  }

  runAll(): void {
    const due = [...this.pending];
    this.pending.clear();
    for (const entry of due) entry.callback();
  }
}
