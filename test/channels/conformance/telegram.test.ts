// The channel conformance cases for Telegram: real grammY against the loopback Bot API fake.
import { TelegramChannel } from "../../../src/channels/telegram/channel.ts";
import { createLogger } from "../../../src/log.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { startTelegramFake } from "../../fakes/telegram/server.ts";
import { ASSISTANT_NAME, runConformanceCases, type ConformanceTarget } from "./cases.ts";

const alice = { id: 1001, first_name: "Alice" };
/** A member whose name is the assistant's: a text_mention of them must not trigger. */
const andy = { id: 1003, first_name: `@${ASSISTANT_NAME}` };
const GROUP = -300;

runConformanceCases({
  name: "Telegram",
  textLimit: 4096,
  authFailure: { status: "auth_failed", detail: /rejected the bot token \(401 Unauthorized\)/ },
  skip: {
    delete: "the Bot API sends bots no update when a message is deleted",
  },
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const fake = await startTelegramFake({ botUsername: "pincer_test_bot" });
    const host = new RecordingHost();
    const channel = new TelegramChannel({
      token: refuseAuth ? "42:not-the-token" : fake.token,
      apiRoot: fake.apiRoot,
      assistantName: ASSISTANT_NAME,
      logger: createLogger("silent"),
    });
    const inject = (chatId: string, text: string, extra = {}) => {
      const group = Number(chatId) === GROUP;
      const message = fake.injectMessage({
        chatId: Number(chatId),
        ...(group ? { chatType: "group" as const, chatTitle: "Family" } : {}),
        from: alice,
        text,
        ...extra,
      });
      return Promise.resolve(String(message.message_id));
    };
    const sentTo = (chatId: string) =>
      fake.sent.filter((message) => String(message.chat.id) === chatId);
    await channel.start(host);
    return {
      channel,
      host,
      directChatId: String(alice.id),
      groupChatId: String(GROUP),
      person: { id: String(alice.id), name: "Alice" },
      injectText: (chatId, text) => inject(chatId, text),
      injectEdit: async (chatId, messageId, text) => {
        fake.injectEdit({ chatId: Number(chatId), messageId: Number(messageId), text });
      },
      injectReply: (chatId, quoted, text) =>
        inject(chatId, text, {
          reply_to_message: fake.messageNow(Number(chatId), Number(quoted.id)),
        }),
      repliesQuoteText: true,
      injectMention: (chatId, whom) => {
        if (whom === "bot") return inject(chatId, "hey @pincer_test_bot, what's up?");
        const text = `${andy.first_name}, your turn`;
        const length = andy.first_name.length;
        return inject(chatId, text, {
          entities: [{ type: "text_mention", offset: 0, length, user: { ...andy, is_bot: false } }],
        });
      },
      delivered: async (chatId, ids) => {
        await fake.waitForCall("sendMessage", () =>
          ids.every((id) => sentTo(chatId).some((message) => String(message.message_id) === id)),
        );
        return sentTo(chatId)
          .filter((message) => ids.includes(String(message.message_id)))
          .map((message) => ({ id: String(message.message_id), text: message.text ?? "" }));
      },
      deliveredFiles: async (chatId, count) => {
        const files = () => sentTo(chatId).filter((m) => m.photo || m.document);
        await fake.waitForCall("sendDocument", () => files().length >= count);
        return files().map((message) => {
          const fileId = message.document?.file_id ?? message.photo!.at(-1)!.file_id;
          return {
            name: message.document?.file_name,
            bytes: fake.fileBytes(fileId)!,
            caption: message.caption ?? "",
            image: message.photo !== undefined,
          };
        });
      },
      postAttempts: (chatId, text) =>
        fake.calls.filter(
          (call) =>
            call.method === "sendMessage" &&
            String(call.params.chat_id) === chatId &&
            call.params.text === text,
        ).length,
      reactionsOn: (chatId, messageId) =>
        fake
          .reactionsOn(Number(chatId), Number(messageId))
          .flatMap((reaction) => (reaction.type === "emoji" ? [reaction.emoji] : [])),
      waitForTyping: async (chatId) => {
        await fake.waitForCall(
          "sendChatAction",
          (call) => String(call.params.chat_id) === chatId && call.params.action === "typing",
        );
      },
      rateLimitSend: (_chatId, retryAfter, after) =>
        fake.failNext("sendMessage", {
          status: 429,
          description: `Too Many Requests: retry after ${retryAfter}`,
          retry_after: retryAfter,
          skip: after,
        }),
      dropConnection: async () => {
        // Cut a long poll in the middle of its request, after the last update was confirmed.
        await fake.waitForCall(
          "getUpdates",
          (call) => Number(call.params.offset) > 0 && call.status === undefined,
        );
        fake.dropConnections();
      },
      stop: async () => {
        await channel.stop();
        await fake.close();
      },
    };
  },
});
