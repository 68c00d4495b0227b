// Timed round trips through the web chat API, built on the e2e harness's own client
// (sendChat for the POST, listen for the SSE stream), so Pincer and the bare loop are
// measured by exactly the same code.
import { performance } from "node:perf_hooks";
import { listen, sendChat, type Service, type SseEvent } from "../test/e2e/harness.ts";

export interface RoundTrip {
  sentAt: number;
  /** When the POST was answered (202). */
  acceptedAt: number;
  /** When the reply's SSE event was parsed. */
  repliedAt: number;
  /** When the first piece of a reply being written (a `delta` event) was parsed, if any came. */
  firstDeltaAt: number | undefined;
  ms: number;
}

export interface StopTrip {
  stoppedMs: number;
  idleMs: number;
}

export interface ChatClient {
  /** Sends `text` and resolves when a reply containing `marker` arrives. */
  roundTrip(text: string, marker: string, timeoutMs?: number): Promise<RoundTrip>;
  close(): Promise<void>;
}

/** The web chat can also stop a turn. */
export interface WebChatClient extends ChatClient {
  /**
   * Sends `text`; at its reply's first visible piece calls `stop` (the web chat's Stop). Times
   * from the stop to the chat's "Stopped." and to the agent's `idle` status.
   */
  stopTrip(text: string, stop: () => Promise<unknown>, timeoutMs?: number): Promise<StopTrip>;
}

export async function openChat(service: Service): Promise<WebChatClient> {
  const sse = listen(service);
  await sse.ready;
  const waiting = new Map<string, (at: number) => void>();
  let firstDeltaAt: number | undefined;
  // Each waits for the next event of its kind (stopTrip): a delta, "Stopped.", the idle status.
  const next = new Map<string, (at: number) => void>();
  const arrived = (kind: string, at: number) => {
    next.get(kind)?.(at);
    next.delete(kind);
  };
  const awaitNext = (kind: string, timeoutMs: number) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${kind} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      next.set(kind, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  // The harness appends each parsed event to this array. Hooking its push timestamps a
  // reply the moment it is parsed, where polling the array would add up to a poll period.
  const append = sse.events.push.bind(sse.events);
  sse.events.push = (...events: SseEvent[]): number => {
    const at = performance.now();
    for (const event of events) {
      if (event.event === "delta" && waiting.size > 0) firstDeltaAt ??= at;
      if (event.event === "delta") arrived("delta", at);
      if (event.event === "status" && event.data.includes('"idle"')) arrived("idle", at);
      if (event.event !== "message") continue;
      const { text } = JSON.parse(event.data) as { text: string };
      if (text === "Stopped.") arrived("stopped", at);
      for (const [marker, resolve] of waiting) {
        if (!text.includes(marker)) continue;
        waiting.delete(marker);
        resolve(at);
      }
    }
    // Replies are only needed for their timing; keeping them all would grow without bound.
    return append(
      ...events.filter((event) => event.event !== "message" && event.event !== "delta"),
    );
  };

  return {
    async roundTrip(text, marker, timeoutMs = 120_000) {
      let timer: NodeJS.Timeout | undefined;
      const replied = new Promise<number>((resolve, reject) => {
        waiting.set(marker, resolve);
        timer = setTimeout(() => {
          waiting.delete(marker);
          reject(new Error(`no reply containing ${marker} within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      // A timeout that fires while the POST is still pending must not go unhandled.
      replied.catch(() => undefined);
      const sentAt = performance.now();
      firstDeltaAt = undefined;
      try {
        await sendChat(service, text);
        const acceptedAt = performance.now();
        const repliedAt = await replied;
        return { sentAt, acceptedAt, repliedAt, firstDeltaAt, ms: repliedAt - sentAt };
      } finally {
        clearTimeout(timer);
        waiting.delete(marker);
      }
    },
    async stopTrip(text, stop, timeoutMs = 120_000) {
      const delta = awaitNext("delta", timeoutMs);
      await sendChat(service, text);
      await delta;
      const stopped = awaitNext("stopped", timeoutMs);
      const idle = awaitNext("idle", timeoutMs);
      const stopAt = performance.now();
      await stop();
      return { stoppedMs: (await stopped) - stopAt, idleMs: (await idle) - stopAt };
    },
    async close() {
      await sse.close();
    },
  };
}
