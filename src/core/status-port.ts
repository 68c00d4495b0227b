// What the web pages may read of the running core: a read-only view, so web never reaches
// into the agent pool, the pairing code's keeper or the channel registry themselves.
import type { ChannelState } from "../channels/channel.ts";

export interface AgentReport {
  groupId: number;
  busy: boolean;
  pid: number | undefined;
}

export interface StatusPort {
  /** Every channel with its last reported state. */
  channels(): [string, ChannelState][];
  channel(name: string): ChannelState | undefined;
  /** The live agent processes. */
  agents(): AgentReport[];
  /** Whether the group's agent is answering right now. */
  busy(groupId: number): boolean;
  /** The main-chat pairing code in force and when it stops working (ms since the epoch). */
  pairing(): { code: string; expiresAt: number };
  /** Why the last agent process failed mid-turn, until a turn ends well again. */
  agentFailure(): string | undefined;
}
