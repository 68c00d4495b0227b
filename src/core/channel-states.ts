// The last state each channel reported (connecting, connected, pairing, failed…), for the
// status and setup pages. A report that changes nothing is dropped, so a reconnect loop
// does not flood the log or the page's event stream.
import type { ChannelState } from "../channels/channel.ts";
import type { Logger } from "../log.ts";

export class ChannelStates {
  private readonly states = new Map<string, ChannelState>();
  private readonly log: Logger;

  constructor(logger: Logger) {
    this.log = logger;
  }

  /** Records a channel's state; returns it as kept, or undefined when nothing changed. */
  set(channel: string, state: Omit<ChannelState, "since">): ChannelState | undefined {
    const previous = this.states.get(channel);
    if (
      previous?.status === state.status &&
      previous.detail === state.detail &&
      JSON.stringify(previous.pairing) === JSON.stringify(state.pairing)
    )
      return undefined;
    const next = { ...state, since: Date.now() };
    this.states.set(channel, next);
    const level =
      state.status === "auth_failed" || state.status === "logged_out" ? "error" : "info";
    this.log[level]({ channel, status: state.status, detail: state.detail }, "channel state");
    return next;
  }

  get(channel: string): ChannelState | undefined {
    return this.states.get(channel);
  }

  /** Every channel with its state, in the order they first reported. */
  all(): [string, ChannelState][] {
    return [...this.states];
  }
}
