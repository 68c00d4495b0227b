// What the core needs of an agent session: the real one is agent/session.ts (started by
// agent/launch.ts); the in-process tests hand in a fake one.
import type { ModelChoice, SessionEvents } from "../agent/session.ts";
import type { Group } from "../store/groups.ts";

export interface ConversationSession {
  readonly busy: boolean;
  /** The last chat message pushed to the session. */
  readonly through: number;
  readonly lastActivity: number;
  readonly pid?: number | undefined;
  /** `choice`: the group's model and effort now, taken up when this push starts a turn. */
  push(text: string, through: number, choice?: ModelChoice): void;
  close(): Promise<void>;
}

/** Starts an agent session for a group. */
export type StartSession = (
  group: Group,
  resume: string | undefined,
  events: SessionEvents,
) => ConversationSession;
