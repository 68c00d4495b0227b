// ask_user's waiting questions: one per group at a time, held in memory with the tool call
// that waits for it. A question goes out after the replies queued before it, as buttons
// where the channel has them (sendChoices), as numbered text elsewhere. It ends with a tap
// or a typed answer from a sender allowed to trigger the group (stored in the history as
// that sender's message), with its timeout, or when its session ends or the service stops;
// then its buttons are taken off. A process killed outright loses its questions with their
// tool calls: the turn is read again after the restart (its agent is told it had asked),
// and a tap on a button left behind only takes that button off.
import { randomBytes } from "node:crypto";
import type { Channel, InboundEvent, InboundMessage } from "../channels/channel.ts";
import type { ToolResult } from "../agent/tools.ts";
import type { Logger } from "../log.ts";
import { transaction, type Db } from "../store/db.ts";
import { getGroupByChat, type Group } from "../store/groups.ts";
import { insertInbound, insertOutbound, setPlatformIds } from "../store/messages.ts";
import { formatDuration } from "../time/duration.ts";
import {
  checkQuestion,
  choiceId,
  closedText,
  numberedText,
  parseChoiceId,
  typedChoice,
} from "./choices.ts";
import type { Delivery } from "./delivery.ts";
import { senderAllowed, triggers } from "./router.ts";

/** A waiting question as the web chat shows it. */
export interface OpenQuestion {
  id: string;
  text: string;
  choices: { id: string; label: string }[];
  /** Its row in the history, once stored (a page that reloads finds it there). */
  messageId?: number;
}

/** How a question ended: the chosen (or typed) answer, or null for none. */
export interface ClosedQuestion {
  id: string;
  answer: string | null;
}

export interface QuestionsDeps {
  db: Db;
  channels: Map<string, Channel>;
  delivery: Pick<Delivery, "inOrder">;
  logger: Logger;
  /** How long a question waits (ASK_USER_TIMEOUT), read at each question. */
  timeoutMs(): number;
  assistantName(): string;
  opened(groupId: number, question: OpenQuestion): void;
  closed(groupId: number, question: ClosedQuestion): void;
}

/** What a typed message answers: a choice's position, or undefined for words of its own. */
export interface TypedAnswer {
  questionId: string;
  index: number | undefined;
}

interface Pending {
  group: Group;
  question: OpenQuestion;
  /** The platform ids of the message(s) that carry it, once sent. */
  platformIds: string[] | undefined;
  /** The channel drew buttons (sendChoices) that have to be taken off at the end. */
  buttons: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Set when it ended, possibly before the send returned (a quick tap). */
  outcome: { answer: string | null } | undefined;
  resolve(result: ToolResult): void;
}

export class Questions {
  private readonly deps: QuestionsDeps;
  private readonly pending = new Map<number, Pending>();

  constructor(deps: QuestionsDeps) {
    this.deps = deps;
  }

  /** The group's waiting question, if any. */
  open(groupId: number): OpenQuestion | undefined {
    const pending = this.pending.get(groupId);
    return pending?.platformIds ? pending.question : undefined;
  }

  /** Asks the group's chat and resolves with the answer, "no answer", or what went wrong. */
  async ask(
    group: Group,
    text: string,
    choices: string[],
    reply: {
      threadId: string | undefined;
      turnThrough: number | undefined;
      /** Withdraws the question: the tool call was cancelled or its session went. */
      signal?: AbortSignal | undefined;
    },
  ): Promise<ToolResult> {
    if (reply.signal?.aborted)
      return { text: "No answer: the call was cancelled.", isError: false };
    const checked = checkQuestion(text, choices);
    if ("error" in checked) return { text: checked.error, isError: true };
    if (this.pending.has(group.id))
      return {
        text: "A question is already waiting for an answer in this chat; ask one at a time.",
        isError: true,
      };
    const channel = this.deps.channels.get(group.channel);
    if (!channel) return { text: `The ${group.channel} channel is not running.`, isError: true };
    const id = randomBytes(8).toString("hex");
    const question: OpenQuestion = {
      id,
      text: checked.text,
      choices: checked.choices.map((label, index) => ({ id: choiceId(id, index), label })),
    };
    let resolve: (result: ToolResult) => void = () => undefined;
    const answered = new Promise<ToolResult>((done) => (resolve = done));
    const entry: Pending = {
      group,
      question,
      platformIds: undefined,
      buttons: channel.sendChoices !== undefined,
      timer: undefined,
      outcome: undefined,
      resolve,
    };
    // Registered before it is sent: the platform shows it before our send returns, and an
    // answer given at once must find it.
    this.pending.set(group.id, entry);
    reply.signal?.addEventListener(
      "abort",
      () => {
        if (this.pending.get(group.id) === entry)
          this.finish(group.id, null, {
            text: "No answer: the call was cancelled.",
            isError: false,
          });
      },
      { once: true },
    );
    const asText = numberedText({ text: checked.text, choices: checked.choices });
    const options = reply.threadId ? { threadId: reply.threadId } : {};
    let platformIds: string[];
    try {
      platformIds = await this.deps.delivery.inOrder(group.channel, group.chatId, () =>
        channel.sendChoices
          ? channel.sendChoices(group.chatId, checked.text, question.choices, options)
          : channel.send(group.chatId, asText, options),
      );
    } catch (error) {
      if (this.pending.get(group.id) === entry) this.pending.delete(group.id);
      const reason = error instanceof Error ? error.message : String(error);
      this.deps.logger.warn({ group: group.folder, err: reason }, "could not send a question");
      return {
        text: `The question could not be shown in the chat (${reason}). Ask it in a message instead.`,
        isError: true,
      };
    }
    entry.platformIds = platformIds;
    const messageId = this.record(group, asText, platformIds, reply);
    if (messageId !== undefined) question.messageId = messageId;
    if (entry.outcome) {
      // Answered (or withdrawn) while it was being sent.
      this.closeShown(entry, entry.outcome.answer);
      return answered;
    }
    const timeoutMs = this.deps.timeoutMs();
    entry.timer = setTimeout(
      () =>
        this.finish(group.id, null, {
          text: `No answer within ${formatDuration(timeoutMs)}. Carry on without it, or ask again later.`,
          isError: false,
        }),
      timeoutMs,
    );
    this.deps.opened(group.id, question);
    return answered;
  }

  /** The question in the history, so the transcript reads right; a failed write only loses that. */
  private record(
    group: Group,
    text: string,
    platformIds: string[],
    reply: { threadId: string | undefined; turnThrough: number | undefined },
  ): number | undefined {
    const { db } = this.deps;
    try {
      return transaction(db, () => {
        const messageId = insertOutbound(db, {
          channel: group.channel,
          chatId: group.chatId,
          threadId: reply.threadId,
          senderName: this.deps.assistantName(),
          text,
          timestamp: Date.now(),
          turnThrough: reply.turnThrough,
        });
        setPlatformIds(db, messageId, platformIds);
        return messageId;
      });
    } catch (error) {
      this.deps.logger.warn({ err: String(error) }, "could not store a question in the history");
      return undefined;
    }
  }

  /** A tap on a choice button: answers the waiting question if the sender may. */
  tap(channel: string, event: Extract<InboundEvent, { type: "choice" }>): void {
    const choice = parseChoiceId(event.choiceId);
    const group = getGroupByChat(this.deps.db, channel, event.chatId);
    if (!choice || !group) return;
    const pending = this.pending.get(group.id);
    if (pending?.question.id !== choice.questionId) {
      // A button left from before a restart (or a question already over): it goes.
      this.deps.logger.info({ channel, chatId: event.chatId }, "a tap on a question not waiting");
      this.deps.channels
        .get(channel)
        ?.closeChoices?.(event.chatId, [event.messageId], null)
        .catch(() => undefined);
      return;
    }
    if (!senderAllowed(group, event.senderId)) {
      this.deps.logger.info(
        { group: group.folder, sender: event.senderId },
        "a tap by a sender who may not answer is ignored",
      );
      return;
    }
    const label = pending.question.choices[choice.index]?.label;
    if (label === undefined) return;
    try {
      insertInbound(this.deps.db, {
        channel,
        chatId: event.chatId,
        platformId: `answer:${choice.questionId}`,
        senderId: event.senderId,
        senderName: event.senderName,
        text: label,
        replyTo: {
          messageId: pending.platformIds?.[0] ?? event.messageId,
          senderName: this.deps.assistantName(),
          text: pending.question.text,
        },
        timestamp: Date.now(),
        answers: choice.questionId,
      });
    } catch (error) {
      // The answer still reaches the tool; only the transcript misses it.
      this.deps.logger.warn({ err: String(error) }, "could not store an answer in the history");
    }
    this.finish(group.id, `${label} (${event.senderName})`, {
      text: `${event.senderName} chose "${label}".`,
      isError: false,
    });
  }

  /**
   * What a typed message answers of the group's waiting question: a choice by number or
   * text, or, when the message would trigger the assistant anyway, an answer in its own
   * words. Undefined: an ordinary message.
   */
  typedAnswer(group: Group, message: InboundMessage): TypedAnswer | undefined {
    const pending = this.pending.get(group.id);
    if (!pending || message.attachments?.length) return undefined;
    if (!senderAllowed(group, message.senderId)) return undefined;
    const index = typedChoice(
      pending.question.choices.map((choice) => choice.label),
      message.text,
    );
    // Own words count only once the question is surely out; a choice may come before our
    // send has returned (the platform shows the question first).
    if (index === undefined && (!pending.platformIds || !triggers(group, message)))
      return undefined;
    return { questionId: pending.question.id, index };
  }

  /** Hands a typed answer, now stored, to the waiting tool call. */
  answerTyped(group: Group, answer: TypedAnswer, message: InboundMessage): void {
    const pending = this.pending.get(group.id);
    if (pending?.question.id !== answer.questionId) return;
    const label =
      answer.index === undefined ? undefined : pending.question.choices[answer.index]?.label;
    if (label !== undefined)
      this.finish(group.id, `${label} (${message.senderName})`, {
        text: `${message.senderName} chose "${label}".`,
        isError: false,
      });
    else
      this.finish(group.id, `${message.senderName} answered in a message`, {
        text: `${message.senderName} did not pick a choice and wrote instead: "${message.text}"`,
        isError: false,
      });
  }

  /** Ends the group's question without an answer (its session ended). */
  cancel(groupId: number, why: string): void {
    this.finish(groupId, null, { text: `No answer: ${why}.`, isError: false });
  }

  /** Ends every question without an answer, so the turns that wait can finish (shutdown). */
  stop(): void {
    for (const groupId of [...this.pending.keys()])
      this.finish(groupId, null, {
        text: "No answer: the service is shutting down. Do not wait for one.",
        isError: false,
      });
  }

  private finish(groupId: number, answer: string | null, result: ToolResult): void {
    const pending = this.pending.get(groupId);
    if (!pending) return;
    this.pending.delete(groupId);
    clearTimeout(pending.timer);
    pending.outcome = { answer };
    pending.resolve(result);
    // Not sent yet: ask() closes it once it is.
    if (pending.platformIds) this.closeShown(pending, answer);
  }

  /** Tells the web chat it is over and takes the buttons off (where there are any). */
  private closeShown(pending: Pending, answer: string | null): void {
    this.deps.closed(pending.group.id, { id: pending.question.id, answer });
    const { group, question, platformIds, buttons } = pending;
    if (!buttons || !platformIds) return;
    this.deps.channels
      .get(group.channel)
      ?.closeChoices?.(group.chatId, platformIds, closedText(question.text, answer))
      .catch((error: unknown) =>
        this.deps.logger.debug(
          { err: String(error), channel: group.channel },
          "could not take the buttons off a question",
        ),
      );
  }
}
