// The conversation path from a stored message to the agent and back. Inbound events are
// committed first (inbound.ts); a group with something to answer gets (or reuses) its
// warm agent session; what the agent says goes to the outbox; when the agent is idle again
// the group's watermark moves past what it has read. A restart therefore re-reads exactly
// the messages whose turn had not finished. Scheduled turns: scheduled-turns.ts.
import { EventEmitter } from "node:events";
import type { ChannelHost, ChannelState, InboundEvent } from "../channels/channel.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import { getGroup, setWatermark, listGroups, upsertChat, type Group } from "../store/groups.ts";
import { inboundAfter, repliesOfUnfinishedTurn } from "../store/messages.ts";
import { clearSessionId, getSessionId, saveSessionId } from "../store/sessions.ts";
import { StaleSessionError } from "../agent/session.ts";
import { modelChoiceOf } from "../agent/launch.ts";
import { groupDir } from "../data-layout.ts";
import { AgentPool } from "./agent-pool.ts";
import type { Delivery } from "./delivery.ts";
import { interruptedTurnNote } from "./format.ts";
import { backlogPrompt } from "./backlog.ts";
import { DiskSpace } from "./disk-space.ts";
import type { DiskQuota } from "./disk-quota.ts";
import type { Transcriber } from "../transcribe/transcriber.ts";
import { VoiceNotes } from "../transcribe/voice-notes.ts";
import { triggers } from "./router.ts";
import { PairingCode } from "./pairing.ts";
import { Inbound } from "./inbound.ts";
import { Questions } from "./questions.ts";
import { ScheduledTurns, type TurnOutcome } from "./scheduled-turns.ts";
import {
  realSessions,
  type ConversationSession,
  type RealSessionOptions,
  type StartSession,
} from "./conversation-session.ts";
import { ChannelStates } from "./channel-states.ts";
import type { CoreEvents, CoreView, GroupStatus, StatusPort } from "./status-port.ts";
import { LiveReplies } from "./live-replies.ts";
import { TurnReplies } from "./turn-replies.ts";
import { TurnFailures } from "./turn-failures.ts";
import { conversationEvents } from "./conversation-events.ts";

/** What a real session is launched with (see realSessions), and what the message path needs. */
export interface OrchestratorOptions extends RealSessionOptions {
  delivery: Delivery;
  /** Owner commands the host answers in the main chat (see Inbound). */
  ownerCommand?: (text: string) => string | undefined;
  maxAttachmentBytes?: number;
  /** Turns voice notes into text; without one the agent is told it cannot listen to them. */
  transcriber?: Transcriber | undefined;
  /** Where writes refused for lack of space are reported (one is made when not given). */
  disk?: DiskSpace;
  /** Per-group disk quota: over it, a group's new attachments are not saved. */
  quota?: DiskQuota;
  /** Starts a group's agent session; by default a real one (agent/launch.ts). */
  startSession?: StartSession;
}

export class Orchestrator extends EventEmitter<CoreEvents> implements CoreView {
  private readonly options: OrchestratorOptions;
  private readonly db: Db;
  private readonly log: Logger;
  private readonly pool: AgentPool<ConversationSession>;
  private readonly voiceNotes: VoiceNotes;
  /** The channels' last states; web reads them through `status`. */
  private readonly channelStates: ChannelStates;
  private readonly pairing = new PairingCode();
  readonly disk: DiskSpace;
  readonly quota: DiskQuota | undefined;
  private readonly failures = new TurnFailures();
  /** The read-only view the web pages take of all this. */
  readonly status: StatusPort;
  private readonly idleTimers = new Map<number, NodeJS.Timeout>();
  /** Groups whose tools changed while their session was busy: it closes when the turn ends. */
  private readonly staleTools = new Set<number>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private stopping = false;
  private readonly startSession: StartSession;
  private readonly inbound: Inbound;
  private readonly scheduled: ScheduledTurns;
  private readonly live: LiveReplies;
  private readonly questions: Questions;
  private readonly replies: TurnReplies;

  constructor(options: OrchestratorOptions) {
    super();
    this.options = options;
    this.db = options.db;
    this.log = options.logger;
    this.disk =
      options.disk ?? new DiskSpace({ dir: options.paths.storeDir, logger: options.logger });
    this.quota = options.quota;
    this.channelStates = new ChannelStates(options.logger);
    this.live = new LiveReplies({
      db: options.db,
      channels: options.channels,
      delivery: options.delivery,
      disk: this.disk,
      logger: options.logger,
      // Read when a reply starts: a change on the admin page applies to the next one.
      enabled: (group) =>
        getGroup(options.db, group.id)?.streaming ?? options.config.STREAMING === "on",
      onDelta: (groupId, delta) => this.emit("delta", groupId, delta),
    });
    this.questions = new Questions({
      db: options.db,
      channels: options.channels,
      delivery: options.delivery,
      logger: options.logger,
      timeoutMs: () => options.config.ASK_USER_TIMEOUT,
      assistantName: () => options.config.ASSISTANT_NAME,
      opened: (groupId, question) => this.emit("question", groupId, question),
      closed: (groupId, question) => this.emit("questionClosed", groupId, question),
    });
    this.replies = new TurnReplies({
      db: options.db,
      delivery: options.delivery,
      disk: this.disk,
      live: this.live,
      questions: this.questions,
      logger: options.logger,
      sessionOf: (groupId) => this.pool.get(groupId),
    });
    this.startSession = options.startSession ?? realSessions(options, this.replies);
    // What waited for room (a turn that could not start) goes ahead once there is some.
    this.disk.on("recovered", () => {
      for (const group of listGroups(this.db)) this.dispatch(group.id);
    });
    this.pool = new AgentPool(options.config.MAX_CONCURRENT_AGENTS, {
      open: (groupId) => this.open(groupId),
    });
    this.voiceNotes = new VoiceNotes({
      db: options.db,
      transcriber: options.transcriber,
      logger: options.logger,
      folderOf: (group) => groupDir(options.paths, group.folder),
      onSettled: (groupId) => this.dispatch(groupId),
    });
    this.inbound = new Inbound({
      config: options.config,
      db: options.db,
      paths: options.paths,
      isolation: options.isolation,
      channels: options.channels,
      disk: this.disk,
      quota: this.quota,
      voiceNotes: this.voiceNotes,
      pairing: this.pairing,
      logger: options.logger,
      maxAttachmentBytes: options.maxAttachmentBytes,
      readUpTo: (group) => Math.max(group.watermark, this.pool.get(group.id)?.through ?? 0),
      reply: this.replies.reply,
      dispatch: (groupId) => this.dispatch(groupId),
      afterReplies: (channel, chatId, change) =>
        options.delivery.afterReplies(channel, chatId, change),
      stopTurn: (groupId) => this.stopTurn(groupId),
      ownerCommand: options.ownerCommand,
      questions: this.questions,
    });
    this.scheduled = new ScheduledTurns({
      db: options.db,
      config: options.config,
      startSession: this.startSession,
      reply: (group, text) => this.replies.reply(group, text, undefined),
      activity: (groupId, tool) => this.emit("activity", groupId, tool),
      dispatch: (groupId) => this.dispatch(groupId),
      acquire: (key) => this.pool.acquire(key),
      finished: (key) => this.pool.closeGroup(key),
      released: (key) => this.pool.released(key),
    });
    this.status = {
      channels: () => this.channelStates.all(),
      channel: (name) => this.channelStates.get(name),
      agents: () =>
        this.pool
          .sessions()
          .map(([groupId, session]) => ({ groupId, busy: session.busy, pid: session.pid })),
      busy: (groupId) => this.pool.get(groupId)?.busy === true,
      pairing: () => ({ code: this.pairing.code, expiresAt: this.pairing.expiresAt }),
      agentFailure: () => this.failures.last(),
      question: (groupId) => this.questions.open(groupId),
    };
  }

  /** The ChannelHost handed to one adapter. */
  hostFor(channel: string): ChannelHost {
    return {
      receive: (event) => this.receive(channel, event),
      discovered: (chat) =>
        this.disk.attempt("a discovered chat", () => upsertChat(this.db, { channel, ...chat })),
      setState: (state) => this.setChannelState(channel, state),
    };
  }

  setChannelState(channel: string, state: Omit<ChannelState, "since">): void {
    const next = this.channelStates.set(channel, state);
    if (next) this.emit("channelState", channel, next);
  }

  /** Stores an event; on a full disk it is refused with a DiskFullError (the adapter retries). */
  receive(channel: string, event: InboundEvent): Promise<void> {
    return this.inbound.receive(channel, event);
  }

  /** Makes a messaging chat a main chat (pairing or MAIN_CHAT); idempotent. */
  registerMainChat(channel: string, chatId: string, name: string): Group {
    return this.inbound.registerMainChat(channel, chatId, name);
  }

  /** Picks up every group that has unanswered messages (after a restart). */
  recover(): void {
    this.live.recover();
    for (const group of listGroups(this.db)) {
      this.voiceNotes.resume(group);
      this.dispatch(group.id);
    }
  }

  /**
   * Stops taking new turns, lets running ones finish up to `graceMs` (their replies reach the
   * outbox and their watermark moves), then closes every agent. What is cut off is re-read
   * after the next start.
   */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    // A turn waiting for an answer gets "no answer" now, so it can finish within the grace.
    this.questions.stop();
    for (const timer of [...this.idleTimers.values(), ...this.retryTimers]) clearTimeout(timer);
    await this.voiceNotes.stop();
    await this.pool.untilNoTurnRuns(graceMs);
    await this.pool.closeAll();
  }

  /** The group may have something to answer: feed its live session or ask for one. */
  dispatch(groupId: number): void {
    if (this.stopping || this.voiceNotes.holding(groupId)) return;
    const group = getGroup(this.db, groupId);
    if (!group) return;
    const session = this.pool.get(groupId);
    if (session) {
      // A session whose tools changed takes no new messages: they wait for the new one,
      // which starts once its running turn has ended.
      if (!this.staleTools.has(groupId)) this.feed(group, session);
      return;
    }
    const pending = inboundAfter(this.db, group.channel, group.chatId, group.watermark);
    if (!pending.some((message) => triggers(group, message))) return;
    const problem = this.options.config.credentialProblem;
    if (problem) {
      this.replies.reply(group, `I can't answer yet: ${problem}`, undefined);
      this.advanceWatermark(group, pending.at(-1)!.id, true);
      return;
    }
    try {
      this.pool.acquire(groupId);
    } catch (error) {
      // Without room for the group's files the turn waits for the disk's `recovered`.
      if (!this.disk.report(error, "starting an agent")) throw error;
    }
  }

  private feed(group: Group, session: ConversationSession): void {
    const readFrom = Math.max(session.through, group.watermark);
    const pending = inboundAfter(this.db, group.channel, group.chatId, readFrom);
    if (!pending.some((message) => triggers(group, message))) return;
    let prompt = backlogPrompt(pending, this.options.config.TZ);
    if (session.through === 0) {
      const alreadySent = repliesOfUnfinishedTurn(
        this.db,
        group.channel,
        group.chatId,
        group.watermark,
      );
      if (alreadySent.length > 0)
        prompt = `${interruptedTurnNote(alreadySent.map((m) => m.text))}\n${prompt}`;
    }
    clearTimeout(this.idleTimers.get(group.id));
    // A model or effort changed on the admin page reaches a live session at its next turn.
    session.push(prompt, pending.at(-1)!.id, modelChoiceOf(group, this.options.config.MODEL));
    this.setStatus(group, "working");
  }

  private setStatus(group: Group, status: GroupStatus): void {
    this.emit("status", group.id, status);
    this.options.delivery.afterReplies(group.channel, group.chatId, async () => {
      await this.options.channels
        .get(group.channel)
        ?.setTyping?.(group.chatId, status === "working");
    });
  }

  /** Stops the group's running turn now (/stop, the web chat's Stop; see TurnReplies). */
  stopTurn(groupId: number): boolean {
    const group = getGroup(this.db, groupId);
    return group ? this.replies.stopTurn(group) : false;
  }

  private open(key: number): ConversationSession {
    if (key < 0) return this.scheduled.open(-key);
    const group = getGroup(this.db, key)!;
    const resume = getSessionId(this.db, group.id);
    const session: ConversationSession = this.startSession(group, resume, {
      ...conversationEvents(group, () => session.through, {
        db: this.db,
        disk: this.disk,
        logger: this.log,
        live: this.live,
        replies: this.replies,
        timeZone: () => this.options.config.TZ,
        activity: (groupId, tool, line) => this.emit("activity", groupId, tool, line),
        modelError: (groupId) => this.failures.modelError(groupId),
      }),
      onIdle: (through) => this.turnEnded(group, session, through),
      onSessionId: (sessionId) =>
        this.disk.attempt("a session id", () =>
          saveSessionId(this.db, group.id, sessionId, Date.now()),
        ),
      onExit: (error) => this.sessionEnded(group, session, error),
    });
    this.log.info({ group: group.folder, resume: Boolean(resume) }, "agent session starting");
    this.feed(group, session);
    return session;
  }

  /** Runs a task's prompt in the group's conversation (see ScheduledTurns). */
  runInConversation(group: Group, runKey: string, text: string): Promise<TurnOutcome> {
    return this.scheduled.runInConversation(group, runKey, text);
  }

  /** Runs a task's prompt in a fresh session of its own (see ScheduledTurns). */
  runIsolated(group: Group, runId: number, prompt: string): Promise<TurnOutcome> {
    return this.scheduled.runIsolated(group, runId, prompt);
  }

  /**
   * The group's tools changed (an MCP server added or removed): an idle session closes now,
   * a busy one when its turn ends, never mid-turn; the next message resumes the
   * conversation in a session with the new tools.
   */
  refreshTools(groupId: number): void {
    const session = this.pool.get(groupId);
    if (!session) return;
    if (session.busy) this.staleTools.add(groupId);
    else this.pool.closeGroup(groupId);
  }

  /** Tells a chat something outside any turn (e.g. the scheduler's notices). */
  notify(group: Group, text: string): void {
    this.replies.reply(group, text, undefined);
  }

  private advanceWatermark(group: Group, through: number, failed: boolean): void {
    const previous = getGroup(this.db, group.id)?.watermark ?? group.watermark;
    // Lost on a full disk: the messages are then read again after a restart.
    this.disk.attempt("a chat's read position", () => setWatermark(this.db, group.id, through));
    if (through > previous) this.inbound.finishAcknowledgements(group, previous, through, !failed);
    this.scheduled.read(group.id, through, failed);
  }

  private turnEnded(group: Group, session: ConversationSession, through: number): void {
    this.live.finish(group);
    const failed = this.failures.turnEnded(group.id, session.busy);
    this.advanceWatermark(group, through, failed);
    if (session.busy) return;
    this.setStatus(group, "idle");
    if (this.staleTools.delete(group.id)) {
      this.pool.closeGroup(group.id);
      return;
    }
    this.pool.idle(group.id);
    const timer = setTimeout(
      () => this.pool.closeGroup(group.id),
      this.options.config.AGENT_IDLE_TIMEOUT,
    );
    timer.unref();
    this.idleTimers.set(group.id, timer);
  }

  private sessionEnded(group: Group, session: ConversationSession, error: Error | undefined): void {
    clearTimeout(this.idleTimers.get(group.id));
    // Its tool call is gone with it.
    this.questions.cancel(group.id, "the agent's session ended");
    this.staleTools.delete(group.id);
    this.live.finish(group);
    this.emit("sessionClosed", group.id);
    const unfinished = session.busy;
    if (error instanceof StaleSessionError) {
      this.log.warn(
        { group: group.folder },
        "stored agent session could not be resumed; starting a fresh one",
      );
      this.disk.attempt("a session id", () => clearSessionId(this.db, group.id));
    } else if (error && unfinished) {
      const { failures, giveUp } = this.failures.processFailed(group.id, error.message);
      this.log.error(
        { group: group.folder, err: error.message, failures },
        "agent process failed mid-turn",
      );
      if (giveUp) {
        this.replies.reply(
          group,
          "Sorry, I could not process that: my agent process keeps failing. The error is in the service log.",
          session.through,
        );
        this.advanceWatermark(group, session.through, true);
      }
    } else if (error) {
      this.log.warn({ group: group.folder, err: error.message }, "idle agent process ended");
    }
    if (unfinished || error) this.setStatus(group, "idle");
    this.pool.released(group.id);
    if (this.stopping) return;
    // Whatever the ended session had not finished is read again by a new one.
    const delay =
      error && !(error instanceof StaleSessionError) ? this.failures.retryDelay(group.id) : 0;
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.dispatch(group.id);
    }, delay);
    this.retryTimers.add(timer);
  }
}
