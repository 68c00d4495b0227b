// What the web pages may use of the running core: a read-only view and its events, so web
// never reaches into the agent pool, the pairing code's keeper or the channel registry.
import type { EventEmitter } from "node:events";
import type { ChannelState } from "../channels/channel.ts";
import type { LiveDelta } from "./live-replies.ts";
import type { DiskQuota } from "./disk-quota.ts";
import type { DiskSpace } from "./disk-space.ts";
import type { ClosedQuestion, OpenQuestion } from "./questions.ts";

export type GroupStatus = "working" | "idle";

/** What the core announces as it runs. */
export interface CoreEvents {
  status: [number, GroupStatus];
  /** A tool an agent is using right now: its name, and the chat's status line for it. */
  activity: [number, string, string?];
  /** The reply a group's agent is writing grew (live-replies.ts). */
  delta: [number, LiveDelta];
  channelState: [string, ChannelState];
  /** A group's agent process ended (idle timeout, eviction, crash or shutdown). */
  sessionClosed: [number];
  /** An ask_user question now waits in a group's chat. */
  question: [number, OpenQuestion];
  /** It was answered, timed out or withdrawn. */
  questionClosed: [number, ClosedQuestion];
}

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
  /** The group's ask_user question that waits for an answer, if any. */
  question(groupId: number): OpenQuestion | undefined;
}

/** The core as web sees it: its status, its events, and the disk's warnings. */
export interface CoreView extends Pick<EventEmitter<CoreEvents>, "on" | "off"> {
  readonly status: StatusPort;
  readonly disk: Pick<DiskSpace, "warning" | "report">;
  readonly quota: Pick<DiskQuota, "warnings"> | undefined;
  /** Stops the group's running turn (the web chat's Stop); false when none was running. */
  stopTurn(groupId: number): boolean;
}
