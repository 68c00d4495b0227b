// One Server-Sent Events response: events are queued by listeners and written in order by
// a single loop, so a slow client never has two writes in flight; a comment every 25 s
// keeps proxies from closing an idle stream.
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";

export interface EventQueue {
  /** Queues an event with a JSON body. */
  send(event: string, data: unknown, id?: number): void;
  /** Queues work that writes events itself (e.g. reading what is new from the store). */
  run(job: (queue: Writer) => Promise<void>): void;
}

export interface Writer {
  write(event: string, data: unknown, id?: number): Promise<void>;
}

const KEEP_ALIVE_MS = 25_000;

/** Streams events; `subscribe` attaches listeners and returns how to detach them. */
export function eventStream(c: Context, subscribe: (queue: EventQueue) => () => void): Response {
  return streamSSE(c, async (stream) => {
    const jobs: (() => Promise<void>)[] = [];
    let wake: (() => void) | undefined;
    const writer: Writer = {
      write: (event, data, id) =>
        stream.writeSSE({
          event,
          data: JSON.stringify(data),
          ...(id === undefined ? {} : { id: String(id) }),
        }),
    };
    const push = (job: () => Promise<void>) => {
      jobs.push(job);
      wake?.();
    };
    const unsubscribe = subscribe({
      send: (event, data, id) => push(() => writer.write(event, data, id)),
      run: (job) => push(() => job(writer)),
    });
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    const keepAlive = setInterval(
      () => push(() => stream.write(": keep-alive\n\n").then(() => undefined)),
      KEEP_ALIVE_MS,
    );
    try {
      while (!stream.aborted && !stream.closed) {
        const job = jobs.shift();
        if (job) {
          await job();
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      clearInterval(keepAlive);
      unsubscribe();
    }
  });
}
