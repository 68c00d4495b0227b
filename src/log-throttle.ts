// Keeps a repeated event from flooding the log (and the 1000 lines the admin page keeps):
// the first line of a kind is written at once, repeats within the window are only
// counted, and one line per window then says how many there were.
import type { Logger } from "./log.ts";

type Level = "info" | "warn" | "error";

interface Line {
  level: Level;
  fields: Record<string, unknown>;
  msg: string;
}

interface Window {
  repeats: number;
  last: Line;
  timer: NodeJS.Timeout;
}

export class LogThrottle {
  private readonly logger: Logger;
  private readonly windowMs: number;
  private readonly windows = new Map<string, Window>();

  constructor(logger: Logger, windowMs = 60_000) {
    this.logger = logger;
    this.windowMs = windowMs;
  }

  /** Logs the line unless a line of the same kind was logged within the window. */
  log(kind: string, level: Level, fields: Record<string, unknown>, msg: string): void {
    const open = this.windows.get(kind);
    if (open) {
      open.repeats++;
      open.last = { level, fields, msg };
      return;
    }
    this.logger[level](fields, msg);
    this.open(kind, { level, fields, msg });
  }

  /** Writes the pending counts now and stops the timers (at shutdown). */
  close(): void {
    for (const [kind, window] of this.windows) {
      clearTimeout(window.timer);
      this.windows.delete(kind);
      this.summarise(window);
    }
  }

  private open(kind: string, last: Line): void {
    const timer = setTimeout(() => this.end(kind), this.windowMs);
    // A pending summary must not keep the process alive.
    timer.unref();
    this.windows.set(kind, { repeats: 0, last, timer });
  }

  private end(kind: string): void {
    const window = this.windows.get(kind);
    if (!window) return;
    this.windows.delete(kind);
    if (window.repeats === 0) return;
    this.summarise(window);
    // Still repeating: keep counting, so a steady flood costs one line per window.
    this.open(kind, window.last);
  }

  private summarise(window: Window): void {
    if (window.repeats === 0) return;
    const { level, fields, msg } = window.last;
    const seconds = Math.round(this.windowMs / 1000);
    this.logger[level](
      { ...fields, repeats: window.repeats },
      `${msg} (${window.repeats} more like it in the last ${seconds} s)`,
    );
  }
}
