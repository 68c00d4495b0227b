// Turns the scheduler starts. A task run in the group's conversation enters the chat as a
// message from the scheduler, so it waits for (never interleaves with) a running turn,
// respects the agent cap and survives a restart like any message; an isolated run gets a
// fresh session of its own, which still takes a slot of the cap (pool key -runId).
import type { Config } from "../config.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import { insertInbound, repliesAfter } from "../store/messages.ts";
import type { ConversationSession, StartSession } from "./conversation-session.ts";
import { stripInternal } from "./format.ts";
import { modelErrorText } from "./model-errors.ts";
import { SYSTEM_SENDER_PREFIX } from "./router.ts";

/** How a turn started for a scheduled task ended, and what it said. */
export interface TurnOutcome {
  failed: boolean;
  texts: string[];
}

/** The sender id of messages the scheduler puts into a chat. */
export const SCHEDULER_SENDER = `${SYSTEM_SENDER_PREFIX}scheduler`;

export interface ScheduledTurnDeps {
  db: Db;
  config: Config;
  startSession: StartSession;
  /** Queues a message to the group's chat, outside any turn. */
  reply(group: Group, text: string): void;
  /** The agent used a tool (for the activity shown on the web). */
  activity(groupId: number, tool: string): void;
  /** The group may have something to answer. */
  dispatch(groupId: number): void;
  /** The agent pool, for isolated runs (keyed -runId): ask for a slot… */
  acquire(key: number): void;
  /** …the run is done, close its session… */
  finished(key: number): void;
  /** …and its session has ended. */
  released(key: number): void;
}

export class ScheduledTurns {
  private readonly deps: ScheduledTurnDeps;
  private readonly readWaiters = new Map<
    number,
    { through: number; resolve: (outcome: TurnOutcome) => void }[]
  >();
  private readonly isolatedRuns = new Map<
    number,
    { group: Group; prompt: string; resolve: (outcome: TurnOutcome) => void }
  >();

  constructor(deps: ScheduledTurnDeps) {
    this.deps = deps;
  }

  /** Runs a task's prompt in the group's conversation; resolves when the turn that read it ends. */
  runInConversation(group: Group, runKey: string, text: string): Promise<TurnOutcome> {
    const { db } = this.deps;
    const trigger = group.requiresTrigger && !group.isMain ? `${group.trigger} ` : "";
    const { id } = insertInbound(db, {
      channel: group.channel,
      chatId: group.chatId,
      platformId: runKey,
      senderId: SCHEDULER_SENDER,
      senderName: "Scheduler",
      text: `${trigger}${text}`,
      timestamp: Date.now(),
    });
    const outcome = new Promise<TurnOutcome>((resolve) => {
      const waiting = this.readWaiters.get(group.id) ?? [];
      waiting.push({ through: id, resolve });
      this.readWaiters.set(group.id, waiting);
    });
    this.deps.dispatch(group.id);
    return outcome.then((result) => ({
      ...result,
      texts: repliesAfter(db, group.channel, group.chatId, id),
    }));
  }

  /** The group's watermark moved to `through`: the runs whose message it covers are done. */
  read(groupId: number, through: number, failed: boolean): void {
    const waiting = this.readWaiters.get(groupId);
    if (!waiting) return;
    const remaining = waiting.filter((waiter) => {
      if (waiter.through > through) return true;
      waiter.resolve({ failed, texts: [] });
      return false;
    });
    if (remaining.length) this.readWaiters.set(groupId, remaining);
    else this.readWaiters.delete(groupId);
  }

  /** Runs a task's prompt in a fresh session of its own; it still takes a slot of the agent cap. */
  runIsolated(group: Group, runId: number, prompt: string): Promise<TurnOutcome> {
    const problem = this.deps.config.credentialProblem;
    if (problem) return Promise.resolve({ failed: true, texts: [problem] });
    return new Promise((resolve) => {
      this.isolatedRuns.set(runId, { group, prompt, resolve });
      this.deps.acquire(-runId);
    });
  }

  /** A fresh session outside the group's conversation, for one isolated task run. */
  open(runId: number): ConversationSession {
    const pending = this.isolatedRuns.get(runId)!;
    const { group } = pending;
    const texts: string[] = [];
    let failed = false;
    const finish = () => {
      this.isolatedRuns.delete(runId);
      pending.resolve({ failed, texts });
    };
    const session = this.deps.startSession(group, undefined, {
      onText: (text) => {
        const clean = stripInternal(text);
        if (!clean) return;
        texts.push(clean);
        this.deps.reply(group, clean);
      },
      onToolUse: (name) => this.deps.activity(group.id, name),
      onModelError: (kind, detail) => {
        failed = true;
        this.deps.reply(group, modelErrorText(kind, detail));
      },
      onIdle: () => this.deps.finished(-runId),
      onSessionId: () => undefined,
      onExit: (error) => {
        if (error) failed = true;
        finish();
        this.deps.released(-runId);
      },
    });
    session.push(pending.prompt, 1);
    return session;
  }
}
