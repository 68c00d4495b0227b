// A ChannelHost that records what an adapter reports, for adapter tests. Waits resolve on
// reports, never on timers; `onReceive` lets a test make the store fail or hang.
import type {
  ChannelHost,
  ChannelState,
  DiscoveredChat,
  InboundEvent,
  InboundMessage,
} from "../../src/channels/channel.ts";

export type StateReport = Omit<ChannelState, "since">;

export class RecordingHost implements ChannelHost {
  readonly received: InboundEvent[] = [];
  readonly discoveredChats: DiscoveredChat[] = [];
  readonly states: StateReport[] = [];
  onReceive: ((event: InboundEvent) => Promise<void>) | null = null;
  private readonly listeners = new Set<() => void>();

  async receive(event: InboundEvent): Promise<void> {
    this.received.push(event);
    this.notify();
    if (this.onReceive) await this.onReceive(event);
  }

  discovered(chat: DiscoveredChat): void {
    this.discoveredChats.push(chat);
    this.notify();
  }

  setState(state: StateReport): void {
    this.states.push(state);
    this.notify();
  }

  get status(): ChannelState["status"] | undefined {
    return this.states.at(-1)?.status;
  }

  get messages(): InboundMessage[] {
    return this.received.flatMap((event) => (event.type === "message" ? [event.message] : []));
  }

  /** Resolves once `check` returns a value other than undefined, re-checked on every report. */
  waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 15_000): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const listener = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what}; states: ${JSON.stringify(this.states)}`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** The first state report with this status from index `from` on. */
  waitForStatus(status: ChannelState["status"], from = 0): Promise<StateReport> {
    return this.waitFor(`status ${status}`, () =>
      this.states.slice(from).find((state) => state.status === status),
    );
  }

  /** Resolves once the latest state report has this status. */
  waitForCurrentStatus(status: ChannelState["status"]): Promise<StateReport> {
    return this.waitFor(`status ${status}`, () =>
      this.status === status ? this.states.at(-1) : undefined,
    );
  }

  waitForMessage(predicate: (message: InboundMessage) => boolean): Promise<InboundMessage> {
    return this.waitFor("an inbound message", () => this.messages.find(predicate));
  }

  /** The n-th (0-based) received event matching `predicate`. */
  waitForEvent(predicate: (event: InboundEvent) => boolean, nth = 0): Promise<InboundEvent> {
    return this.waitFor("an inbound event", () => this.received.filter(predicate)[nth]);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
