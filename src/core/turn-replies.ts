// The reply path: what a turn writes goes into the thread of the message it answers and
// replaces the turn's live preview (live-replies.ts); a question (questions.ts) goes the
// same way; /stop interrupts the running turn and says so there. Inbound, the chat tools,
// scheduled turns and the orchestrator's own notices all reply through here.
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import { latestInbound } from "../store/messages.ts";
import type { ChatToolDeps } from "./chat-tools.ts";
import type { ConversationSession } from "./conversation-session.ts";
import type { Delivery } from "./delivery.ts";
import type { DiskSpace } from "./disk-space.ts";
import type { LiveReplies } from "./live-replies.ts";
import type { Questions } from "./questions.ts";
import { triggers } from "./router.ts";

export interface TurnRepliesOptions {
  db: Db;
  delivery: Pick<Delivery, "enqueue">;
  disk: DiskSpace;
  live: LiveReplies;
  questions: Questions;
  logger: Logger;
  /** The group's open conversation session, if any (what /stop interrupts). */
  sessionOf(groupId: number): ConversationSession | undefined;
}

export class TurnReplies {
  private readonly options: TurnRepliesOptions;

  constructor(options: TurnRepliesOptions) {
    this.options = options;
  }

  /** The thread a turn's output goes to: that of the message it answers. */
  threadOf(group: Group, turnThrough: number | undefined): string | undefined {
    if (turnThrough === undefined) return undefined;
    const answered = latestInbound(this.options.db, group.channel, group.chatId, turnThrough, (m) =>
      triggers(group, m),
    );
    return answered?.threadId ?? undefined;
  }

  /**
   * Queues a reply; one written by a turn goes into the thread of the message it answers and
   * replaces the turn's preview, if one is showing. A file cannot replace a text preview:
   * a status preview would sit above it, so it goes (as before a question). Bound, as `ask`
   * is: both are handed on as they are (to the chat tools, inbound, scheduled turns).
   */
  readonly reply: ChatToolDeps["reply"] = (group, text, turnThrough, file) => {
    const { live } = this.options;
    if (file && turnThrough !== undefined) live.finish(group);
    const previewId = turnThrough === undefined || file ? undefined : live.claim(group);
    this.options.disk.attempt("a reply", () =>
      this.options.delivery.enqueue({
        channel: group.channel,
        chatId: group.chatId,
        threadId: this.threadOf(group, turnThrough),
        text,
        file,
        turnThrough,
        previewId,
      }),
    );
  };

  /** ask_user: the question goes where the turn's replies go (see Questions). */
  readonly ask: ChatToolDeps["ask"] = (group, question, choices, turnThrough, signal) => {
    // A status preview would sit above the question and take the answer's text later.
    if (turnThrough !== undefined) this.options.live.finish(group);
    return this.options.questions.ask(group, question, choices, {
      threadId: this.threadOf(group, turnThrough),
      turnThrough,
      signal,
    });
  };

  /**
   * Stops the group's running turn now (/stop, the web chat's Stop). The chat is told once;
   * what the turn had read counts as read when it ends, and a message sent later starts anew.
   */
  stopTurn(group: Group): boolean {
    const session = this.options.sessionOf(group.id);
    if (!session?.busy || !session.interrupt) {
      this.reply(group, "Nothing to stop: I am not working on anything.", undefined);
      return false;
    }
    const log = this.options.logger;
    session
      .interrupt()
      .catch((error: unknown) =>
        log.warn({ group: group.folder, err: String(error) }, "the turn could not be stopped"),
      );
    log.info({ group: group.folder }, "turn stopped");
    this.reply(group, "Stopped.", session.through);
    return true;
  }
}
