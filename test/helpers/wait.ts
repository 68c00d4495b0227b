// Waiting in tests: for a condition that something else makes true, or for a callback.

/**
 * Resolves with `check`'s first value that is neither undefined nor false; fails naming
 * `what` if none comes within `timeoutMs` (a bound for a broken run, not a measurement).
 * Checks soon at first, for conditions the event loop settles in a turn or two, then
 * every 50 ms, gently on a service that answers each check over HTTP.
 */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 50)) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** A promise and the function that resolves it, for a callback to settle. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
