// Decides which groups may have a live agent process. At most `cap` processes live at
// once; a group that needs one gets a free slot, else the slot of the longest-idle warm
// session, else waits in line. Groups are served in the order they asked, and a group
// whose turn has ended gives its process up when another group is waiting, so one busy
// chat cannot starve the others.

export interface PoolSession {
  readonly busy: boolean;
  readonly lastActivity: number;
  close(): Promise<void>;
}

export interface PoolHooks<S extends PoolSession> {
  /** Starts a session for the group; it must call `released` when it ends. */
  open(groupId: number): S;
}

export class AgentPool<S extends PoolSession> {
  private readonly cap: number;
  private readonly hooks: PoolHooks<S>;
  private readonly live = new Map<number, S>();
  private readonly closing = new Set<number>();
  private readonly waiting: number[] = [];
  /** Resolves untilNoTurnRuns()'s wait; set only while it waits. */
  private turnsSettled: (() => void) | undefined;

  constructor(cap: number, hooks: PoolHooks<S>) {
    this.cap = cap;
    this.hooks = hooks;
  }

  get(groupId: number): S | undefined {
    return this.closing.has(groupId) ? undefined : this.live.get(groupId);
  }

  sessions(): [number, S][] {
    return [...this.live.entries()];
  }

  get waitingGroups(): readonly number[] {
    return this.waiting;
  }

  /**
   * The group has work but no live session: it gets one through `open` now or, when the
   * pool is full, once a slot frees up.
   */
  acquire(groupId: number): void {
    if (this.get(groupId) || this.waiting.includes(groupId)) return;
    this.waiting.push(groupId);
    this.drain();
  }

  /** A session finished its turn: if others wait, it makes way for them. */
  idle(groupId: number): void {
    if (this.blockedOnCapacity() && this.live.get(groupId)?.busy === false)
      this.closeGroup(groupId);
    this.settle();
  }

  /** Waits until no session is busy, or `graceMs` has passed (stopping: turns may finish). */
  async untilNoTurnRuns(graceMs: number): Promise<void> {
    if (graceMs <= 0 || !this.turnRunning()) return;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.turnsSettled = resolve)),
      new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(grace);
    this.turnsSettled = undefined;
  }

  private turnRunning(): boolean {
    return [...this.live.values()].some((session) => session.busy);
  }

  /** Called wherever a turn or session ends: wakes a waiting untilNoTurnRuns(). */
  private settle(): void {
    if (this.turnsSettled && !this.turnRunning()) this.turnsSettled();
  }

  /** Some waiting group needs a new process and every slot is taken. */
  private blockedOnCapacity(): boolean {
    return this.live.size >= this.cap && this.waiting.some((groupId) => !this.live.has(groupId));
  }

  /** A session has ended (closed or crashed). */
  released(groupId: number): void {
    this.live.delete(groupId);
    this.closing.delete(groupId);
    this.drain();
    this.settle();
  }

  closeGroup(groupId: number): void {
    const session = this.live.get(groupId);
    if (session && !this.closing.has(groupId)) {
      this.closing.add(groupId);
      void session.close();
    }
    this.settle();
  }

  async closeAll(): Promise<void> {
    this.waiting.length = 0;
    await Promise.all([...this.live.values()].map((session) => session.close()));
  }

  private openFor(groupId: number): void {
    this.live.set(groupId, this.hooks.open(groupId));
  }

  private makeRoom(): void {
    if (this.live.size - this.closing.size < this.cap) return;
    // Evict the warm session idle the longest; if every session is busy, wait for one.
    let oldest: [number, S] | undefined;
    for (const entry of this.live) {
      if (entry[1].busy || this.closing.has(entry[0])) continue;
      if (!oldest || entry[1].lastActivity < oldest[1].lastActivity) oldest = entry;
    }
    if (oldest) this.closeGroup(oldest[0]);
  }

  private drain(): void {
    for (let i = 0; i < this.waiting.length && this.live.size < this.cap;) {
      const next = this.waiting[i]!;
      // A group whose old process is still shutting down gets a new one when that ends.
      if (this.live.has(next)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.openFor(next);
    }
    if (this.waiting.length > 0) this.makeRoom();
  }
}
