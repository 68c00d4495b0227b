// What a conversation's agent session reports while it writes, turned into what the chat and
// the web pages see: text blocks become replies (or end a preview when only `<internal>` was
// said), deltas grow the live preview, tool calls show as activity and status lines, and a
// failed model call is told to the chat (a budget refusal once a day). The session's end and
// idle are the orchestrator's (turn bookkeeping).
import type { SessionEvents } from "../agent/session.ts";
import { budgetRefusalIn, firstNoticeToday } from "../budget/budget.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import type { DiskSpace } from "./disk-space.ts";
import { stripInternal } from "./format.ts";
import type { LiveReplies } from "./live-replies.ts";
import { modelErrorText } from "./model-errors.ts";
import { statusLine } from "./status-line.ts";
import type { TurnReplies } from "./turn-replies.ts";

export interface ConversationEventDeps {
  db: Db;
  disk: DiskSpace;
  logger: Logger;
  live: LiveReplies;
  replies: Pick<TurnReplies, "reply" | "threadOf">;
  /** The time zone a budget notice's day is counted in. */
  timeZone(): string;
  /** A tool call, with its status line when it has one (the web's activity). */
  activity(groupId: number, tool: string, line: string | undefined): void;
  /** The model call behind the group's turn failed for good. */
  modelError(groupId: number): void;
}

export type ConversationEvents = Pick<
  SessionEvents,
  "onText" | "onDelta" | "onToolUse" | "onModelError"
>;

/** The events of `group`'s session; `through` reads the session's last pushed message. */
export function conversationEvents(
  group: Group,
  through: () => number,
  deps: ConversationEventDeps,
): ConversationEvents {
  const { live, replies } = deps;
  return {
    onText: (text, turnThrough) => {
      const clean = stripInternal(text);
      if (clean) replies.reply(group, clean, turnThrough);
      else live.blockEnded(group);
    },
    onDelta: (text, turnThrough) =>
      live.delta(group, text, () => replies.threadOf(group, turnThrough)),
    onToolUse: (name, input) => {
      const line = statusLine(name, input);
      deps.activity(group.id, name, line);
      if (line) live.status(group, line, () => replies.threadOf(group, through()));
    },
    onModelError: (kind, detail, turnThrough) => {
      deps.modelError(group.id);
      // Over the daily budget the chat is told once a day; later messages that day are
      // kept (and their turn ends as usual, so they are not all answered tomorrow).
      const refusal = budgetRefusalIn(detail);
      // On a full disk the notice cannot be noted: the chat is told (again).
      const toldToday =
        refusal &&
        deps.disk.attempt("a budget notice", () =>
          firstNoticeToday(deps.db, group.id, deps.timeZone()),
        ) === false;
      if (toldToday) {
        deps.logger.info({ group: group.folder }, `message not answered: ${refusal}`);
        return;
      }
      deps.logger.warn({ group: group.folder, kind, detail }, "model call failed");
      replies.reply(group, modelErrorText(kind, detail), turnThrough);
    },
  };
}
