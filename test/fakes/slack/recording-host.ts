// A ChannelHost for adapter tests: it records what the adapter hands over and lets a test
// hold `receive` open, to see what the adapter does while the store has not committed yet.
import type {
  ChannelHost,
  ChannelState,
  ChannelStatus,
  DiscoveredChat,
  InboundEvent,
} from "../../../src/channels/channel.ts";
import { ChangeSignal } from "./wait.ts";

const DEFAULT_WAIT_MS = 10_000;

export class RecordingHost implements ChannelHost {
  /** Events whose `receive` has resolved, i.e. "committed". */
  readonly events: InboundEvent[] = [];
  /** Events whose `receive` was called, committed or not. */
  readonly started: InboundEvent[] = [];
  readonly discoveredChats: DiscoveredChat[] = [];
  readonly states: Omit<ChannelState, "since">[] = [];
  private readonly changes = new ChangeSignal();
  private hold: Promise<void> | undefined;
  private failure: Error | undefined;

  async receive(event: InboundEvent): Promise<void> {
    this.started.push(event);
    this.changes.notify();
    await this.hold;
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
    this.events.push(event);
    this.changes.notify();
  }

  discovered(chat: DiscoveredChat): void {
    this.discoveredChats.push(chat);
    this.changes.notify();
  }

  setState(state: Omit<ChannelState, "since">): void {
    this.states.push(state);
    this.changes.notify();
  }

  get status(): ChannelStatus | undefined {
    return this.states.at(-1)?.status;
  }

  /** The next `receive` rejects, as when the store cannot commit. */
  failNextReceive(error: Error): void {
    this.failure = error;
  }

  /** Makes every `receive` wait until the returned function is called. */
  holdReceives(): () => void {
    let release = (): void => {};
    this.hold = new Promise<void>((resolve) => {
      release = () => {
        this.hold = undefined;
        resolve();
      };
    });
    return release;
  }

  waitForEvent<T extends InboundEvent>(
    predicate: (event: InboundEvent) => event is T,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<T> {
    return this.changes.until(() => this.events.find(predicate), timeoutMs, "an inbound event");
  }

  waitForStarted(
    predicate: (event: InboundEvent) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<InboundEvent> {
    return this.changes.until(() => this.started.find(predicate), timeoutMs, "a receive call");
  }

  waitForDiscovered(chatId: string, timeoutMs = DEFAULT_WAIT_MS): Promise<DiscoveredChat> {
    return this.changes.until(
      () => this.discoveredChats.find((chat) => chat.chatId === chatId),
      timeoutMs,
      `discovery of ${chatId}`,
    );
  }

  /** Waits for a state with `status` recorded after the first `after` states. */
  waitForStatus(
    status: ChannelStatus,
    after = 0,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<Omit<ChannelState, "since">> {
    return this.changes.until(
      () => this.states.slice(after).find((state) => state.status === status),
      timeoutMs,
      `channel status ${status}`,
    );
  }
}

export function messageWithText(text: string) {
  return (event: InboundEvent): event is Extract<InboundEvent, { type: "message" }> =>
    event.type === "message" && event.message.text === text;
}
