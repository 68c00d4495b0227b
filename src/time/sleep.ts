// An abortable wait that never rejects: a retry loop stopped mid-wait wakes at once and
// checks its own "still running?" flag, instead of handling an AbortError.

/** Waits `ms`, or less if `signal` aborts first (or already has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
