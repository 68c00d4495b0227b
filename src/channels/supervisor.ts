// Runs the configured platforms and keeps them in step with the settings: when a platform's
// variables change (a token pasted on the setup page), its adapter is stopped and, if the
// platform is still configured, a new one is started with the new values. The other
// platforms, the web chat and running turns carry on; replies meant for a platform that is
// between adapters wait in the outbox.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Channel, ChannelHost, ChannelState } from "./channel.ts";
import { CHANNEL_TABLE, type ChannelDescriptor } from "./registry.ts";

/** Variables every platform reads (how the bot's name appears in mentions). */
const SHARED_VARIABLES: readonly string[] = ["ASSISTANT_NAME", "MAX_ATTACHMENT_BYTES"];

export interface ChannelSupervisorOptions {
  config: Config;
  logger: Logger;
  /** The running channels by name, shared with delivery and the core. */
  channels: Map<string, Channel>;
  host(name: string): ChannelHost;
  report(name: string, state: Omit<ChannelState, "since">): void;
  /** The platforms; the channel table unless a test hands in its own. */
  table?: readonly ChannelDescriptor[];
}

export class ChannelSupervisor {
  readonly #options: ChannelSupervisorOptions;
  readonly #table: readonly ChannelDescriptor[];
  #chain: Promise<void> = Promise.resolve();

  constructor(options: ChannelSupervisorOptions) {
    this.#options = options;
    this.#table = options.table ?? CHANNEL_TABLE;
  }

  /** Starts every configured platform; the others are reported as not configured. */
  startAll(): Promise<void> {
    return this.#enqueue(() => this.#restart(this.#table));
  }

  /**
   * Restarts the platforms that read any of the changed variables. Resolves once each is
   * stopped and its successor started (connecting goes on in the background).
   */
  apply(changed: readonly string[]): Promise<void> {
    const shared = changed.some((name) => SHARED_VARIABLES.includes(name));
    const affected = this.#table.filter(
      (platform) => shared || platform.variables.some((name) => changed.includes(name)),
    );
    return this.#enqueue(() => this.#restart(affected));
  }

  /** Stops every platform (at shutdown), after any change in progress. */
  stopAll(): Promise<void> {
    return this.#enqueue(async () => {
      for (const platform of this.#table) await this.#stop(platform);
    });
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(work);
    // One failed change must not block the next ones; the caller still sees its failure.
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #restart(platforms: readonly ChannelDescriptor[]): Promise<void> {
    const { config, logger, channels, host, report } = this.#options;
    for (const platform of platforms) {
      await this.#stop(platform);
      if (!platform.enabled(config)) {
        report(platform.name, { status: "not_configured", detail: platform.setupHint });
        continue;
      }
      const channel = await platform.create(config, logger);
      channels.set(platform.name, channel);
      report(platform.name, { status: "connecting" });
      // A platform that is slow or down must not hold up the others or the web chat.
      channel.start(host(platform.name)).catch((error: unknown) => {
        report(platform.name, {
          status: "reconnecting",
          detail: error instanceof Error ? error.message : String(error),
        });
      });
    }
  }

  async #stop(platform: ChannelDescriptor): Promise<void> {
    const running = this.#options.channels.get(platform.name);
    if (!running) return;
    this.#options.channels.delete(platform.name);
    try {
      await running.stop();
    } catch (error) {
      this.#options.logger.warn(
        { err: error, channel: platform.name },
        "stopping a channel failed",
      );
    }
  }
}
