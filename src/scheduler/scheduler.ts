// Fires scheduled tasks. One timer is armed for the earliest due slot (no polling); whoever
// changes a task calls changed() so the timer is re-armed. Claiming goes through the store,
// which makes each slot fire once even with several schedulers on one database file.
import type { Db } from "../store/db.ts";
import {
  finishRun,
  nextDueAt,
  recoverInterruptedRuns,
  type RunOutcome,
  type Task,
  type TaskRun,
} from "../store/tasks.ts";
import { DEFAULT_ONCE_GRACE_MS } from "./schedule.ts";
import { claimDueRun, type ClaimedRun } from "./slots.ts";
import type { Logger } from "../log.ts";
import type { DiskSpace } from "../core/disk-space.ts";

/** setTimeout keeps delays in a signed 32-bit integer; longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_AFTER_ERROR_MS = 5_000;

export interface SchedulerOptions {
  db: Db;
  clock?: () => number;
  onceGraceMs?: number;
  /** Runs one claimed slot (pre-script gate, agent turn); a throw counts as a failed run. */
  runTask: (task: Task, run: TaskRun) => Promise<RunOutcome>;
  /** A once task came back later than the grace period and will not run. */
  onMissed?: (task: Task) => void;
  logger: Logger;
  /** Told when a store write fails for lack of space (logged there once, not every retry). */
  disk?: DiskSpace;
}

export class Scheduler {
  readonly #db: Db;
  readonly #clock: () => number;
  readonly #onceGraceMs: number;
  readonly #runTask: SchedulerOptions["runTask"];
  readonly #onMissed: (task: Task) => void;
  readonly #logger: Logger;
  readonly #disk: DiskSpace | undefined;
  #recovered = false;
  #timer: NodeJS.Timeout | undefined;
  #wakeAt: number | undefined;
  #running = false;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: SchedulerOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? Date.now;
    this.#onceGraceMs = options.onceGraceMs ?? DEFAULT_ONCE_GRACE_MS;
    this.#runTask = options.runTask;
    this.#onMissed = options.onMissed ?? (() => {});
    this.#logger = options.logger;
    this.#disk = options.disk;
  }

  /**
   * Recovers from a previous process (its unfinished runs become failed) and fires whatever
   * is due: a recurring task that missed slots while the service was down runs once.
   * Only one process should start against a database while another is mid-run, because
   * recovery cannot tell a dead process's runs from a live one's.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#fire();
  }

  /** Recovery before the first claim; false (and retried later) while the store refuses it. */
  #recoverOnce(): boolean {
    if (this.#recovered) return true;
    try {
      const interrupted = recoverInterruptedRuns(this.#db, this.#clock());
      if (interrupted > 0) {
        this.#logger.warn(
          { interrupted },
          "scheduler: marked runs interrupted by restart as failed",
        );
      }
    } catch (error) {
      this.#retryLater(error);
      return false;
    }
    this.#recovered = true;
    return true;
  }

  /** Disarms the timer. Runs already started finish and are recorded; see idle(). */
  stop(): void {
    this.#running = false;
    this.#disarm();
  }

  /** Re-arms the timer after a task was created, edited, paused, resumed or cancelled. */
  changed(): void {
    if (!this.#running) return;
    this.#arm();
  }

  /**
   * When the armed timer fires, by the scheduler's clock: the earliest due slot, now if that
   * has passed, or the timer cap for far-off slots. Undefined when nothing is armed.
   */
  get wakeAt(): number | undefined {
    return this.#wakeAt;
  }

  /** Resolves when every run started so far has finished and been recorded. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wakeAt = undefined;
  }

  #arm(): void {
    this.#disarm();
    let due: number | undefined;
    try {
      due = nextDueAt(this.#db);
    } catch (error) {
      this.#retryLater(error);
      return;
    }
    if (due === undefined) return;
    const now = this.#clock();
    const delay = Math.min(Math.max(0, due - now), MAX_TIMER_MS);
    this.#setTimer(delay, now + delay);
  }

  #setTimer(delay: number, wakeAt: number): void {
    this.#wakeAt = wakeAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#wakeAt = undefined;
      this.#fire();
    }, delay);
  }

  #retryLater(error: unknown): void {
    if (!this.#disk?.report(error, "scheduled tasks"))
      this.#logger.error({ err: error }, "scheduler: store error, retrying");
    this.#disarm();
    this.#setTimer(RETRY_AFTER_ERROR_MS, this.#clock() + RETRY_AFTER_ERROR_MS);
  }

  /** Claims every due slot, starting each run without waiting for the one before. */
  #fire(): void {
    if (!this.#running || !this.#recoverOnce()) return;
    for (;;) {
      let claim: ClaimedRun | undefined;
      try {
        claim = claimDueRun(this.#db, this.#clock(), this.#onceGraceMs);
      } catch (error) {
        this.#retryLater(error);
        return;
      }
      if (!claim) break;
      if (claim.kind === "missed") {
        this.#logger.warn({ taskId: claim.task.id }, "scheduler: once task missed its time");
        this.#notifyMissed(claim.task);
      } else {
        this.#track(this.#execute(claim.task, claim.run));
      }
    }
    this.#arm();
  }

  #notifyMissed(task: Task): void {
    try {
      this.#onMissed(task);
    } catch (error) {
      this.#logger.error({ err: error, taskId: task.id }, "scheduler: onMissed threw");
    }
  }

  #track(promise: Promise<void>): void {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
  }

  async #execute(task: Task, run: TaskRun): Promise<void> {
    let outcome: RunOutcome;
    try {
      outcome = await this.#runTask(task, run);
    } catch (error) {
      outcome = { status: "failed", error: error instanceof Error ? error.message : String(error) };
    }
    this.#logger.info(
      { taskId: task.id, runId: run.id, status: outcome.status },
      "scheduler: run finished",
    );
    // On a full disk the outcome waits for room: until it is recorded the task stays held.
    for (;;) {
      try {
        finishRun(this.#db, run.id, outcome, this.#clock());
      } catch (error) {
        if (this.#running && this.#disk?.report(error, "a task run's outcome")) {
          await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_ERROR_MS));
          continue;
        }
        this.#logger.error(
          { err: error, runId: run.id },
          "scheduler: could not record run outcome",
        );
      }
      break;
    }
    // The task's next slot may have come due while this run held it back.
    this.changed();
  }
}
