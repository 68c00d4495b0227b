// How the service ends on SIGTERM or SIGINT: once, with running turns given their grace
// (inside `stop`), and exiting anyway should closing up after them hang (a channel that will
// not disconnect, a delivery waiting out a backoff), before the host's SIGKILL: what is
// committed is safe in SQLite and is picked up after restart.
import type { Logger } from "./log.ts";

/** How long closing up may take after the running turns' grace period, before exiting anyway. */
const SHUTDOWN_CLEANUP_MS = 5_000;

export function stopOnSignals(stop: () => Promise<void>, logger: Logger, graceMs: number): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => {
      logger.error("shutdown did not finish in time; exiting");
      process.exit(1);
    }, graceMs + SHUTDOWN_CLEANUP_MS).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}
