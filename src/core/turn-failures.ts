// What failed in a group's turns. A turn whose model call failed still ends, but its messages
// are acknowledged as failed; an agent process that dies mid-turn is restarted after a wait
// that grows with each failure in a row, and at the third the turn is given up (the chat is
// told and its messages count as read), so one poisonous message cannot loop for ever.
export const MAX_CONSECUTIVE_FAILURES = 3;

export class TurnFailures {
  /** Groups whose running turn had a model error. */
  private readonly modelFailed = new Set<number>();
  /** Each group's agent processes that failed mid-turn in a row. */
  private readonly inARow = new Map<number, number>();
  private lastError: string | undefined;

  /** Why the last agent process failed mid-turn, until a turn ends well again (setup page). */
  last(): string | undefined {
    return this.lastError;
  }

  /** The model call behind the group's running turn failed for good. */
  modelError(groupId: number): void {
    this.modelFailed.add(groupId);
  }

  /**
   * The group's turn ended: its run of process failures is over. Whether the turn had a
   * model error; while the session is still busy (more was pushed) the mark stays on.
   */
  turnEnded(groupId: number, stillBusy: boolean): boolean {
    this.inARow.delete(groupId);
    this.lastError = undefined;
    return stillBusy ? this.modelFailed.has(groupId) : this.modelFailed.delete(groupId);
  }

  /** The group's agent process failed mid-turn: its count in a row, and whether to give up. */
  processFailed(groupId: number, message: string): { failures: number; giveUp: boolean } {
    const failures = (this.inARow.get(groupId) ?? 0) + 1;
    this.lastError = message;
    const giveUp = failures >= MAX_CONSECUTIVE_FAILURES;
    if (giveUp) this.inARow.delete(groupId);
    else this.inARow.set(groupId, failures);
    return { failures, giveUp };
  }

  /** The wait before the group's next session after a failure: a second per one in a row. */
  retryDelay(groupId: number): number {
    return 1_000 * (this.inARow.get(groupId) ?? 0);
  }
}
