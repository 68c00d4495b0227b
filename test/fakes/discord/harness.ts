// Test plumbing for the Discord adapter: a ChannelHost that records what the adapter
// reports, and a helper that starts the adapter against a fake and waits for it to connect.
import type {
  ChannelHost,
  ChannelState,
  ChannelStatus,
  DiscoveredChat,
  InboundEvent,
  InboundMessage,
} from "../../../src/channels/channel.ts";
import { DiscordChannel } from "../../../src/channels/discord/channel.ts";
import type { DiscordChannelOptions } from "../../../src/channels/discord/channel.ts";
import { createLogger } from "../../../src/log.ts";
import type { DiscordFake } from "./server.ts";

const DEFAULT_TIMEOUT_MS = 15_000;

export class RecordingHost implements ChannelHost {
  readonly events: InboundEvent[] = [];
  readonly states: ChannelState[] = [];
  readonly chats: DiscoveredChat[] = [];
  readonly #waiters = new Set<() => void>();

  async receive(event: InboundEvent): Promise<void> {
    this.events.push(event);
    this.#notify();
  }

  discovered(chat: DiscoveredChat): void {
    this.chats.push(chat);
    this.#notify();
  }

  setState(state: Omit<ChannelState, "since">): void {
    this.states.push({ ...state, since: Date.now() });
    this.#notify();
  }

  get status(): ChannelStatus | undefined {
    return this.states.at(-1)?.status;
  }

  messages(): InboundMessage[] {
    return this.events.flatMap((event) => (event.type === "message" ? [event.message] : []));
  }

  messagesWithText(text: string): InboundMessage[] {
    return this.messages().filter((message) => message.text === text);
  }

  waitFor(predicate: () => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; states: ${JSON.stringify(this.states)}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async waitForMessage(text: string): Promise<InboundMessage> {
    await this.waitFor(() => this.messagesWithText(text).length > 0, `message "${text}"`);
    return this.messagesWithText(text)[0] as InboundMessage;
  }

  waitForStatus(status: ChannelStatus): Promise<void> {
    return this.waitFor(() => this.status === status, `status ${status}`);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

export const ASSISTANT_NAME = "Andy";

export async function connectAdapter(
  fake: DiscordFake,
  overrides: Partial<DiscordChannelOptions> = {},
  { awaitConnected = true }: { awaitConnected?: boolean } = {},
): Promise<{ channel: DiscordChannel; host: RecordingHost }> {
  const channel = new DiscordChannel({
    token: fake.token,
    apiUrl: fake.apiUrl,
    assistantName: ASSISTANT_NAME,
    logger: createLogger(process.env.LOG_LEVEL ?? "silent"),
    ...overrides,
  });
  const host = new RecordingHost();
  await channel.start(host);
  if (awaitConnected) await host.waitForStatus("connected");
  return { channel, host };
}
