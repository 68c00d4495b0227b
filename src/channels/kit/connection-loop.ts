// A platform connection that is one loop until the channel stops (email's IMAP session,
// Signal's event stream, Matrix's /sync): start opens the inbound queue, reports
// "connecting" and runs the loop with a fresh abort signal; stop aborts it, ends the queue's
// retries, waits for the loop and reports "stopped". Adapters whose library owns the
// connection (grammY's polling aside, discord.js, Bolt, Baileys) do not need it.
import type { ChannelHost } from "../channel.ts";
import type { InboundQueue } from "./inbound-queue.ts";

export class ConnectionLoop {
  readonly #inbound: InboundQueue;
  readonly #run: (signal: AbortSignal) => Promise<void>;
  #abort = new AbortController();
  #loop: Promise<void> | null = null;
  #host: ChannelHost | null = null;

  constructor(inbound: InboundQueue, run: (signal: AbortSignal) => Promise<void>) {
    this.#inbound = inbound;
    this.#run = run;
  }

  get running(): boolean {
    return this.#loop !== null;
  }

  /** Aborted when the channel stops: for the requests the loop and sends make. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  start(host: ChannelHost): void {
    if (this.#loop) return;
    this.#host = host;
    this.#abort = new AbortController();
    this.#inbound.open(host);
    host.setState({ status: "connecting" });
    this.#loop = this.#run(this.#abort.signal);
  }

  /** `closing` runs once the queue is closed, before the wait: to end a read the abort cannot. */
  async stop(closing?: () => void): Promise<void> {
    this.#abort.abort();
    await this.#inbound.close();
    closing?.();
    await this.#loop;
    this.#loop = null;
    this.#host?.setState({ status: "stopped" });
  }
}
