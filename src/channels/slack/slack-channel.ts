// The Slack adapter: Socket Mode for events (socket-connection.ts), a WebClient for sends,
// message events translated by inbound-events.ts and handed over through the channel kit's
// queue, so an envelope is acknowledged only once its event is stored.
import { webApi } from "@slack/bolt";
import { readFile } from "node:fs/promises";
import type { Logger } from "../../log.ts";
import { splitMessage } from "../split.ts";
import type {
  Channel,
  ChannelHost,
  ChannelStatus,
  DiscoveredChat,
  OutboundFile,
  SendFileOptions,
  SendOptions,
} from "../channel.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { InboundQueue } from "../kit/inbound-queue.ts";
import { sendPieces, waitOutRateLimits } from "../kit/reply-pieces.ts";
import { boltLogger } from "./bolt-logger.ts";
import { SlackDirectory } from "./directory.ts";
import { SlackInboundEvents, type BotIdentity, type SlackMessageEvent } from "./inbound-events.ts";
import { markdownToMrkdwn } from "./mrkdwn.ts";
import { OnceByKey } from "./once-by-key.ts";
import { reactionName } from "./reactions.ts";
import { isAuthError, platformErrorCode, toSendError } from "./slack-errors.ts";
import { authDetail, SlackConnection } from "./socket-connection.ts";

export interface SlackChannelOptions {
  botToken: string;
  appToken: string;
  /** Web API base URL, e.g. "https://slack.com/api/"; the Socket Mode URL comes from it too. */
  apiUrl?: string;
  /** Where Slack serves files (url_private), the only host the bot token goes to for them. */
  filesUrl?: string | undefined;
  assistantName: string;
  logger: Logger;
  maxAttachmentBytes?: number;
}

/** Below Slack's 4,000-character guidance for one message's text. */
export const SLACK_TEXT_LIMIT = 3_900;
const DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_DISCOVERY_PAGES = 20;
/** A later chunk of a reply waits out a rate limit this many times, each at most this long. */
const CHUNK_ATTEMPTS = 4;
const MAX_CHUNK_WAIT_MS = 60_000;
/** For a platform error that means "already so" (already_reacted, no_reaction). */
function ignoring(code: string): (error: unknown) => undefined {
  return (error) => {
    if (platformErrorCode(error) === code) return undefined;
    throw error;
  };
}

interface ListedConversation {
  id?: string;
  name?: string;
  is_im?: boolean;
  is_member?: boolean;
  user?: string;
}

export class SlackChannel implements Channel {
  readonly name = "slack" as const;
  private readonly options: SlackChannelOptions;
  private readonly logger: Logger;
  private readonly web: webApi.WebClient;
  private readonly directory: SlackDirectory;
  private readonly connection: SlackConnection;
  private readonly once = new OnceByKey(5_000);
  private readonly inbound: InboundQueue;
  private readonly chats = new DiscoveredChats();
  private readonly reactions = new Map<string, string>();
  private host: ChannelHost | undefined;
  private translator: SlackInboundEvents | undefined;
  private settled: (() => void) | undefined;
  private discoveryDone = false;

  constructor(options: SlackChannelOptions) {
    this.options = options;
    this.logger = options.logger.child({ channel: "slack" });
    this.web = new webApi.WebClient(options.botToken, this.clientOptions());
    this.directory = new SlackDirectory(this.web, this.logger);
    this.inbound = new InboundQueue({ logger: this.logger });
    this.connection = new SlackConnection({
      appToken: options.appToken,
      botToken: options.botToken,
      web: this.web,
      clientOptions: this.clientOptions(),
      logger: this.logger,
      report: (status, detail) => this.setState(status, detail),
      connected: () => {
        if (this.discoveryDone) return;
        this.discoveryDone = true;
        void this.discoverConversations();
      },
      onMessage: (event, identity) => this.onMessageEvent(event, identity),
      onChoice: async (tap) => {
        const outcome = await this.inbound.push({
          type: "choice",
          chatId: tap.channelId,
          messageId: tap.messageTs,
          senderId: tap.userId,
          senderName: await this.directory.userName(tap.userId),
          choiceId: tap.actionId,
        });
        if (outcome === "stopped") throw new Error("Slack stopped before the tap was handled");
      },
    });
  }

  /** Resolves once the first connection attempt has an outcome (connected, auth_failed or retrying). */
  async start(host: ChannelHost): Promise<void> {
    this.host = host;
    this.inbound.open(host);
    const settled = new Promise<void>((resolve) => (this.settled = resolve));
    this.setState("connecting");
    this.connection.start();
    await settled;
  }

  async stop(): Promise<void> {
    await this.connection.stop();
    await this.inbound.close();
    this.setState("stopped");
  }

  async send(chatId: string, markdown: string, options: SendOptions): Promise<string[]> {
    return this.sendOrEdit(chatId, undefined, markdown, options);
  }

  async edit(
    chatId: string,
    platformId: string,
    markdown: string,
    options: SendOptions,
  ): Promise<string[]> {
    return this.sendOrEdit(chatId, platformId, markdown, options);
  }

  async deleteMessage(chatId: string, platformId: string): Promise<void> {
    await this.call("chat.delete", () =>
      this.web.chat
        .delete({ channel: chatId, ts: platformId })
        .catch(ignoring("message_not_found")),
    );
  }

  /** Sends the pieces of a reply; with `editTs` the first one replaces that message's text. */
  private async sendOrEdit(
    chatId: string,
    editTs: string | undefined,
    markdown: string,
    options: SendOptions,
  ): Promise<string[]> {
    return await sendPieces({
      pieces: splitMessage(markdownToMrkdwn(markdown), SLACK_TEXT_LIMIT),
      send: async (text, index) => {
        if (index === 0 && editTs !== undefined) {
          await this.call("chat.update", () =>
            this.web.chat.update({ channel: chatId, ts: editTs, text }),
          );
          return editTs;
        }
        const result = await this.call("chat.postMessage", () =>
          this.web.chat.postMessage({
            channel: chatId,
            text,
            thread_ts: options.threadId,
            mrkdwn: true,
          }),
        );
        if (!result.ts) throw new Error("Slack accepted the message but returned no ts");
        return result.ts;
      },
      retryLaterPiece: waitOutRateLimits({
        attempts: CHUNK_ATTEMPTS,
        maxWaitMs: MAX_CHUNK_WAIT_MS,
        logger: this.logger,
      }),
    });
  }

  /** The question as a section with an actions block: one button per choice. */
  async sendChoices(
    chatId: string,
    question: string,
    choices: { id: string; label: string }[],
    options: SendOptions,
  ): Promise<string[]> {
    const text = markdownToMrkdwn(question);
    const result = await this.call("chat.postMessage", () =>
      this.web.chat.postMessage({
        channel: chatId,
        // Shown in notifications and where blocks are not.
        text,
        thread_ts: options.threadId,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text } },
          {
            type: "actions",
            block_id: "choices",
            elements: choices.map((choice) => ({
              type: "button",
              action_id: choice.id,
              value: choice.id,
              text: { type: "plain_text", text: choice.label },
            })),
          },
        ],
      }),
    );
    if (!result.ts) throw new Error("Slack accepted the message but returned no ts");
    return [result.ts];
  }

  /** Replaces the question's blocks with one section that says how it ended, or only the question. */
  async closeChoices(chatId: string, messageIds: string[], text: string | null): Promise<void> {
    for (const ts of messageIds) {
      const current =
        text !== null
          ? markdownToMrkdwn(text)
          : // Without a text the question stays as it was sent (mrkdwn already), minus its buttons.
            ((
              await this.call("conversations.history", () =>
                this.web.conversations.history({
                  channel: chatId,
                  latest: ts,
                  inclusive: true,
                  limit: 1,
                }),
              )
            ).messages?.[0]?.text ?? "");
      await this.call("chat.update", () =>
        this.web.chat.update({
          channel: chatId,
          ts,
          text: current,
          blocks: [{ type: "section", text: { type: "mrkdwn", text: current || " " } }],
        }),
      );
    }
  }

  /**
   * Slack's upload flow (files.getUploadURLExternal, the bytes to the URL it gives,
   * files.completeUploadExternal sharing it to the chat with the caption), as filesUploadV2
   * runs it. Slack shows images itself. Returns the file ids: Slack posts the message later.
   */
  async sendFile(chatId: string, file: OutboundFile, options: SendFileOptions): Promise<string[]> {
    const data = await readFile(file.path);
    const upload = {
      channel_id: chatId,
      file: data,
      filename: file.name,
      ...(options.caption ? { initial_comment: markdownToMrkdwn(options.caption) } : {}),
    };
    const result = await this.call("files.uploadV2", () =>
      this.web.filesUploadV2(
        options.threadId ? { ...upload, thread_ts: options.threadId } : upload,
      ),
    );
    return (result.files as { files?: { id?: string }[] }[]).flatMap((completed) =>
      (completed.files ?? []).flatMap((uploaded) => (uploaded.id ? [uploaded.id] : [])),
    );
  }

  async react(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    const key = `${chatId}:${messageId}`;
    const previous = this.reactions.get(key);
    const next = emoji === null ? undefined : reactionName(emoji);
    if (emoji !== null && next === undefined) {
      this.logger.warn({ emoji }, "no Slack reaction name for this emoji; reaction skipped");
      return;
    }
    if (previous === next) return;
    const target = { channel: chatId, timestamp: messageId };
    if (previous !== undefined) {
      await this.call("reactions.remove", () =>
        this.web.reactions.remove({ ...target, name: previous }).catch(ignoring("no_reaction")),
      );
      this.reactions.delete(key);
    }
    if (next !== undefined) {
      await this.call("reactions.add", () =>
        this.web.reactions.add({ ...target, name: next }).catch(ignoring("already_reacted")),
      );
      this.reactions.set(key, next);
      if (this.reactions.size > 1_000)
        this.reactions.delete(this.reactions.keys().next().value ?? key);
    }
  }

  private clientOptions(): webApi.WebClientOptions {
    return {
      ...(this.options.apiUrl ? { slackApiUrl: this.options.apiUrl } : {}),
      logger: boltLogger(this.logger),
      // A send must fail fast and visibly: the outbox owns retries, honouring retryAfterMs.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: REQUEST_TIMEOUT_MS,
    };
  }

  /** Runs a Web API call, mapping its failure to the error a send should throw. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isAuthError(error)) this.setState("auth_failed", authDetail("bot", error));
      throw toSendError(error, method);
    }
  }

  private setState(status: ChannelStatus, detail?: string): void {
    this.host?.setState(detail === undefined ? { status } : { status, detail });
    if (status !== "connecting") {
      this.settled?.();
      this.settled = undefined;
    }
  }

  private async onMessageEvent(event: SlackMessageEvent, identity: BotIdentity): Promise<void> {
    this.translator ??= new SlackInboundEvents({
      identity,
      directory: this.directory,
      assistantName: this.options.assistantName,
      botToken: this.options.botToken,
      filesUrl: this.options.filesUrl,
      maxAttachmentBytes: this.options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES,
      logger: this.logger,
      announce: (chat) => this.announce(chat),
    });
    const translator = this.translator;
    const key = translator.keyOf(event);
    if (key === null) return;
    await this.once.run(key, async () => {
      if ((await this.inbound.push(translator.translate(event))) === "stopped")
        throw new Error("Slack stopped before the event was stored");
    });
  }

  private announce(chat: DiscoveredChat): void {
    this.chats.announce(this.host, chat);
  }

  /** Tells the core about every conversation the bot is already in, so it can offer to register them. */
  private async discoverConversations(): Promise<void> {
    try {
      let pages = 0;
      const listing = this.web.paginate("conversations.list", {
        types: "public_channel,private_channel,mpim,im",
        exclude_archived: true,
        limit: 200,
      });
      for await (const page of listing) {
        for (const channel of (page as { channels?: ListedConversation[] }).channels ?? []) {
          if (!channel.id || channel.is_member === false) continue;
          const isGroup = !channel.is_im;
          const name = isGroup
            ? (channel.name ?? channel.id)
            : await this.directory.userName(channel.user ?? channel.id);
          this.announce({ chatId: channel.id, name, isGroup });
        }
        pages += 1;
        if (pages >= MAX_DISCOVERY_PAGES || this.connection.stopped) break;
      }
    } catch (error) {
      this.logger.warn({ err: error }, "listing Slack conversations failed");
    }
  }
}
