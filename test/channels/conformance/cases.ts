// One set of cases every platform adapter must pass against its fake, as Hono runs one
// `common.case` file against every router. Each platform file builds a ConformanceTarget
// (its fake, a RecordingHost and the real adapter) and calls `runConformanceCases`. A case a
// fake cannot play is skipped for that platform with the reason; a platform that neither
// skips a case nor offers what it needs fails that case.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  TransientSendError,
  type Channel,
  type ChannelStatus,
  type InboundMessage,
} from "../../../src/channels/channel.ts";
import { mentionsTrigger } from "../../../src/channels/mention.ts";
import type { RecordingHost } from "../../fakes/recording-host.ts";

export const ASSISTANT_NAME = "Andy";

/** A real 1x1 PNG, so platforms (and Baileys) that look into images accept it. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

export type CaseName =
  | "connect"
  | "inbound text"
  | "store failure"
  | "edit"
  | "delete"
  | "mention"
  | "quoted reply"
  | "reply split"
  | "reaction"
  | "typing"
  | "rate limit"
  | "rate limit mid-reply"
  | "reconnect"
  | "auth failure"
  | "send file";

/** A file the bot sent, as the platform holds it. */
export interface DeliveredFile {
  /** The file's name, where the platform keeps one (Telegram photos have none). */
  name?: string | undefined;
  bytes: Uint8Array;
  /** The caption as the platform holds it ("" without one). */
  caption: string;
  /** Sent in the platform's image form (a photo, an image message), not as a document. */
  image: boolean;
}

export interface DeliveredMessage {
  id: string;
  text: string;
}

/** A message a reply quotes: one of `person`'s, or one the bot sent. */
export interface QuotedMessage {
  id: string;
  text: string;
  byBot: boolean;
}

/** One adapter started against a fresh fake. Optional parts are what some fakes cannot do. */
export interface ConformanceTarget {
  channel: Channel;
  host: RecordingHost;
  /** A one-to-one chat with `person`, and a group chat the bot and `person` are in. */
  directChatId: string;
  groupChatId?: string;
  person: { id: string; name: string };
  /** A message from `person`; resolves with its message id. */
  injectText(chatId: string, text: string): Promise<string>;
  injectEdit?(chatId: string, messageId: string, text: string): Promise<void>;
  injectDelete?(chatId: string, messageId: string): Promise<void>;
  /** A platform mention of the bot, or of a member whose name is the assistant's. */
  injectMention?(chatId: string, whom: "bot" | "namesake"): Promise<string>;
  /**
   * A message from `person` that replies to (quotes) `quoted`, as the platform's own client
   * writes one; resolves with its message id.
   */
  injectReply?(chatId: string, quoted: QuotedMessage, text: string): Promise<string>;
  /**
   * A reply carries the quoted message's text (its sender's client sends it along); false
   * where it names only the message (Slack's thread, a mail's In-Reply-To), whose text the
   * core then takes from its store.
   */
  repliesQuoteText?: boolean;
  /** The bot's messages with these ids in the order the platform holds them, once all arrived. */
  delivered(chatId: string, ids: string[]): Promise<DeliveredMessage[]>;
  /** The files the bot sent to the chat, in order, once `count` of them arrived. */
  deliveredFiles?(chatId: string, count: number): Promise<DeliveredFile[]>;
  /** How many times the platform was asked to post exactly this text, answered or refused. */
  postAttempts?(chatId: string, text: string): number;
  /** The bot's reactions on a message, as emoji. */
  reactionsOn?(chatId: string, messageId: string): string[];
  /** Resolves once the platform was told the bot is typing in the chat. */
  waitForTyping?(chatId: string): Promise<void>;
  /** The post to the chat after the next `after` ones is answered 429 with this Retry-After. */
  rateLimitSend?(chatId: string, retryAfterSeconds: number, after: number): void;
  /** Cuts the connection to the platform, once the adapter is listening on it. */
  dropConnection?(): Promise<void>;
  /** Lets a reconnect the adapter scheduled happen now (for fakes on manual timers). */
  allowReconnect?(): void | Promise<void>;
  stop(): Promise<void>;
}

export interface ConformancePlatform {
  name: string;
  /** The most characters one message of the platform may carry. */
  textLimit: number;
  /** The state a refused credential ends in, and what its detail must say. */
  authFailure: { status: ChannelStatus; detail: RegExp };
  /** Cases this platform's fake cannot play, with the reason. */
  skip: Partial<Record<CaseName, string>>;
  /** Starts a fresh fake and the adapter against it; `refuseAuth` makes the fake refuse its credentials. */
  start(options?: { refuseAuth?: boolean }): Promise<ConformanceTarget>;
}

function need<T>(part: T | undefined, what: string): T {
  assert.ok(part, `the target offers no ${what}; skip the case with a reason instead`);
  return part;
}

function messageWithId(host: RecordingHost, id: string): Promise<InboundMessage> {
  return host.waitForMessage((message) => message.messageId === id);
}

function copiesOf(host: RecordingHost, id: string): number {
  return host.messages.filter((message) => message.messageId === id).length;
}

/** What the core's outbox does with a send: retries a TransientSendError after its delay. */
async function sendLikeTheOutbox(
  channel: Channel,
  chatId: string,
  text: string,
  expectedRetryAfterMs: number,
): Promise<string[]> {
  try {
    return await channel.send(chatId, text, {});
  } catch (error) {
    assert.ok(error instanceof TransientSendError, `not retryable: ${String(error)}`);
    assert.equal(error.retryAfterMs, expectedRetryAfterMs, "Retry-After is passed on");
    await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
    return channel.send(chatId, text, {});
  }
}

async function withTarget(
  platform: ConformancePlatform,
  run: (target: ConformanceTarget) => Promise<void>,
  options: { refuseAuth?: boolean } = {},
): Promise<void> {
  const started = await platform.start(options);
  // A case may stop the adapter itself; stopping happens once either way.
  let stopping: Promise<void> | undefined;
  const target = { ...started, stop: () => (stopping ??= started.stop()) };
  try {
    await run(target);
  } finally {
    await target.stop();
  }
}

export function runConformanceCases(platform: ConformancePlatform): void {
  const cases: Record<CaseName, (target: ConformanceTarget) => Promise<void>> = {
    async connect(target) {
      const { host } = target;
      await host.waitForCurrentStatus("connected");
      assert.equal(host.states[0]?.status, "connecting");
      await target.stop();
      assert.equal(host.status, "stopped");
    },

    async "inbound text"(target) {
      const { host, directChatId, person } = target;
      await host.waitForCurrentStatus("connected");
      const id = await target.injectText(directChatId, "hello there");
      const message = await messageWithId(host, id);
      assert.equal(message.chatId, directChatId);
      assert.equal(message.senderId, person.id);
      assert.equal(message.senderName, person.name);
      assert.equal(message.text, "hello there");
      assert.equal(message.isGroup, false);
      assert.equal(message.mentionsBot, false);
      assert.ok(message.timestamp > 0);
    },

    async "store failure"(target) {
      const { host, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      let refusals = 2;
      host.onReceive = async (event) => {
        if (event.type === "message" && event.message.text === "keep me" && refusals-- > 0)
          throw new Error("database is locked");
      };
      const kept = await target.injectText(chatId, "keep me");
      const next = await target.injectText(chatId, "and me after it");
      await messageWithId(host, next);
      const arrivals = host.messages.map((message) => message.messageId);
      assert.deepEqual(arrivals, [kept, kept, kept, next], "retried until stored, then the next");
    },

    async edit(target) {
      const { host, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const id = await target.injectText(chatId, "frist");
      await messageWithId(host, id);
      await need(target.injectEdit, "edit")(chatId, id, "first");
      const edit = await host.waitForEvent((e) => e.type === "edit" && e.messageId === id);
      assert.ok(edit.type === "edit");
      assert.equal(edit.chatId, chatId);
      assert.equal(edit.text, "first");
      assert.ok(edit.timestamp > 0);
    },

    async delete(target) {
      const { host, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const id = await target.injectText(chatId, "oops");
      await messageWithId(host, id);
      await need(target.injectDelete, "delete")(chatId, id);
      const deletion = await host.waitForEvent((e) => e.type === "delete" && e.messageId === id);
      assert.deepEqual(deletion, { type: "delete", chatId, messageId: id });
    },

    async mention(target) {
      const { host } = target;
      await host.waitForCurrentStatus("connected");
      const chatId = need(target.groupChatId, "group chat");
      const inject = need(target.injectMention, "mention");
      const toBot = await messageWithId(host, await inject(chatId, "bot"));
      assert.equal(toBot.mentionsBot, true);
      assert.equal(mentionsTrigger(toBot.text, `@${ASSISTANT_NAME}`), true, toBot.text);
      const toNamesake = await messageWithId(host, await inject(chatId, "namesake"));
      assert.equal(toNamesake.mentionsBot, false);
      assert.equal(mentionsTrigger(toNamesake.text, `@${ASSISTANT_NAME}`), false, toNamesake.text);
    },

    async "quoted reply"(target) {
      const { host, channel, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const injectReply = need(target.injectReply, "injectReply");
      const quotesText = target.repliesQuoteText;
      assert.ok(quotesText !== undefined, "the target says whether a reply quotes the text");
      const asked = "Is lunch at noon?";
      const askedId = await target.injectText(chatId, asked);
      await messageWithId(host, askedId);
      const answer = "Yes, at noon.";
      const [answerId] = await channel.send(chatId, answer, {});
      assert.ok(answerId, "the send returns its id");
      await target.delivered(chatId, [answerId]);
      const expected = (id: string, text: string) => ({
        messageId: id,
        text: quotesText ? text : "",
      });

      const toOwn = await messageWithId(
        host,
        await injectReply(chatId, { id: askedId, text: asked, byBot: false }, "Or at one?"),
      );
      assert.equal(toOwn.text, "Or at one?", "the quote is not part of the text");
      assert.deepEqual(
        { messageId: toOwn.replyTo?.messageId, text: toOwn.replyTo?.text },
        expected(askedId, asked),
      );
      assert.equal(toOwn.mentionsBot, false, "a reply to a person does not address the bot");

      const toBot = await messageWithId(
        host,
        await injectReply(chatId, { id: answerId, text: answer, byBot: true }, "Thanks!"),
      );
      assert.equal(toBot.text, "Thanks!");
      // The id is what the core looks up among the bot's replies (findOutbound), so it must
      // be the one the send returned.
      assert.deepEqual(
        { messageId: toBot.replyTo?.messageId, text: toBot.replyTo?.text },
        expected(answerId, answer),
      );
    },

    async "reply split"(target) {
      const { host, channel, directChatId } = target;
      await host.waitForCurrentStatus("connected");
      await messageWithId(host, await target.injectText(directChatId, "tell me everything"));
      const paragraphs = Array.from(
        { length: Math.ceil((platform.textLimit * 3) / 400) },
        (_, i) => `Paragraph ${i}: ${"words in order ".repeat(25).trim()}.`,
      );
      const ids = await channel.send(directChatId, paragraphs.join("\n\n"), {});
      assert.ok(ids.length >= 3, `split into ${ids.length} messages`);
      const messages = await target.delivered(directChatId, ids);
      assert.deepEqual(
        messages.map((message) => message.id),
        ids,
        "arrived in order",
      );
      for (const { text } of messages) assert.ok(text.length <= platform.textLimit, text);
      const words = (text: string) => text.split(/\s+/).filter(Boolean);
      assert.deepEqual(
        messages.flatMap((message) => words(message.text)),
        words(paragraphs.join(" ")),
      );
    },

    async reaction(target) {
      const { host, channel, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const react = need(channel.react?.bind(channel), "react");
      const reactionsOn = need(target.reactionsOn, "reading of reactions");
      const id = await target.injectText(chatId, "react to me");
      await messageWithId(host, id);
      await react(chatId, id, "👀");
      assert.deepEqual(reactionsOn(chatId, id), ["👀"]);
      await react(chatId, id, null);
      assert.deepEqual(reactionsOn(chatId, id), []);
    },

    async typing(target) {
      const { host, channel, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const setTyping = need(channel.setTyping?.bind(channel), "setTyping");
      const waitForTyping = need(target.waitForTyping, "typing observer");
      const id = await target.injectText(chatId, "are you there?");
      await messageWithId(host, id);
      await setTyping(chatId, true);
      await waitForTyping(chatId);
      await setTyping(chatId, false);
    },

    async "rate limit"(target) {
      const { host, channel, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const attempts = need(target.postAttempts, "count of post attempts");
      const id = await target.injectText(chatId, "hi");
      await messageWithId(host, id);
      need(target.rateLimitSend, "rate limit")(chatId, 1, 0);
      const text = "after the rate limit";
      const ids = await sendLikeTheOutbox(channel, chatId, text, 1000);
      assert.equal(ids.length, 1);
      const [message] = await target.delivered(chatId, ids);
      assert.equal(message?.text, text);
      assert.equal(attempts(chatId, text), 2, "one refused with 429, one stored");
    },

    async "rate limit mid-reply"(target) {
      const { host, channel, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const attempts = need(target.postAttempts, "count of post attempts");
      const id = await target.injectText(chatId, "hi");
      await messageWithId(host, id);
      need(target.rateLimitSend, "rate limit")(chatId, 1, 1);
      const half = (label: string) =>
        `${label}: ${"a rate limited reply ".repeat(Math.floor((platform.textLimit * 0.7) / 21)).trim()}.`;
      const ids = await sendLikeTheOutbox(
        channel,
        chatId,
        `${half("First part")}\n\n${half("Second part")}`,
        1000,
      );
      const [first, second, ...more] = await target.delivered(chatId, ids);
      assert.ok(first && second && more.length === 0, `${ids.length} messages`);
      assert.equal(
        attempts(chatId, first.text),
        1,
        "the chunk sent before the 429 is not repeated",
      );
      assert.equal(attempts(chatId, second.text), 2, "the refused chunk is sent again");
    },

    async reconnect(target) {
      const { host, directChatId: chatId } = target;
      await host.waitForCurrentStatus("connected");
      const before = await target.injectText(chatId, "before the drop");
      await messageWithId(host, before);
      const mark = host.states.length;
      await need(target.dropConnection, "dropConnection")();
      await host.waitForStatus("reconnecting", mark);
      await target.allowReconnect?.();
      await host.waitForStatus("connected", mark);
      const after = await target.injectText(chatId, "after the drop");
      await messageWithId(host, after);
      const last = await target.injectText(chatId, "later");
      await messageWithId(host, last);
      for (const id of [before, after, last]) assert.equal(copiesOf(host, id), 1, id);
    },

    async "send file"(target) {
      const { channel, host, directChatId } = target;
      await host.waitForCurrentStatus("connected");
      assert.ok(channel.sendFile, "the adapter has sendFile");
      await messageWithId(host, await target.injectText(directChatId, "send me the chart"));
      const deliveredFiles = need(target.deliveredFiles, "deliveredFiles");
      const dir = mkdtempSync(join(tmpdir(), "pincer-conformance-file-"));
      try {
        const file = (name: string, mimeType: string, bytes: Buffer) => {
          writeFileSync(join(dir, name), bytes);
          return { name, mimeType, size: bytes.length, path: join(dir, name) };
        };
        const chart = file("chart.png", "image/png", PNG);
        const report = file("report.pdf", "application/pdf", Buffer.from("%PDF-1.4 a report"));
        const imageIds = await channel.sendFile(directChatId, chart, {
          caption: "The **chart** you asked for",
        });
        const reportIds = await channel.sendFile(directChatId, report, {});
        assert.ok(imageIds.length >= 1 && reportIds.length >= 1, "the sends return their ids");
        const [image, document] = await deliveredFiles(directChatId, 2);
        assert.equal(image!.image, true, "a PNG goes in the image form");
        assert.deepEqual(Buffer.from(image!.bytes), PNG);
        // Rendered for the platform, or kept as Markdown where the platform reads Markdown.
        assert.match(image!.caption, /The (\*{1,2})?chart(\*{1,2})? you asked for/);
        assert.equal(document!.image, false, "a PDF goes as a document");
        assert.equal(document!.name, "report.pdf");
        assert.equal(Buffer.from(document!.bytes).toString(), "%PDF-1.4 a report");
        assert.equal(document!.caption, "");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },

    async "auth failure"({ host }) {
      const state = await host.waitForStatus(platform.authFailure.status);
      assert.match(state.detail ?? "", platform.authFailure.detail);
      assert.ok(!host.states.some((s) => s.status === "connected"));
    },
  };

  describe(`channel conformance: ${platform.name}`, () => {
    for (const [name, run] of Object.entries(cases) as [CaseName, typeof cases.connect][]) {
      const skip = platform.skip[name] ?? false;
      const refuseAuth = name === "auth failure";
      it(name, { skip }, () => withTarget(platform, run, { refuseAuth }));
    }
  });
}
