// The channel conformance cases for Slack: real Bolt (Socket Mode and Web API) against the
// loopback Slack fake.
import { mimeTypeFor } from "../../../src/channels/mime.ts";
import { reactionName } from "../../../src/channels/slack/reactions.ts";
import { SlackChannel } from "../../../src/channels/slack/slack-channel.ts";
import { createLogger } from "../../../src/log.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { startSlackFake } from "../../fakes/slack/server.ts";
import { ASSISTANT_NAME, runConformanceCases, type ConformanceTarget } from "./cases.ts";

const BOT_TOKEN = "xoxb-0000-conformance";
const APP_TOKEN = "xapp-1-conformance";
const GENERAL = "C0GENERAL";
const ALICE_DM = "D0ALICE";
const ALICE = "U0ALICE";
/** A member whose name is the assistant's: mentioning them must not trigger. */
const ANDY = "U0ANDY";
const EYES = "👀";

runConformanceCases({
  name: "Slack",
  textLimit: 4000,
  authFailure: { status: "auth_failed", detail: /SLACK_BOT_TOKEN.*invalid_auth/ },
  skip: { typing: "Slack offers bots no typing indicator, so the adapter has no setTyping" },
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const fake = await startSlackFake({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    fake.addUser({ id: ALICE, name: "alice", real_name: "Alice" });
    fake.addUser({ id: ANDY, name: "andy", real_name: ASSISTANT_NAME });
    fake.addChannel({ id: GENERAL, name: "general" });
    fake.addChannel({ id: ALICE_DM, name: "", is_im: true, user: ALICE });
    const host = new RecordingHost();
    const channel = new SlackChannel({
      botToken: refuseAuth ? "xoxb-wrong" : BOT_TOKEN,
      appToken: APP_TOKEN,
      apiUrl: fake.apiUrl,
      filesUrl: fake.filesUrl,
      assistantName: ASSISTANT_NAME,
      logger: createLogger("silent"),
    });
    const inject = async (chatId: string, text: string, threadTs?: string) =>
      fake.injectMessage({
        channel: chatId,
        user: ALICE,
        text,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
    await channel.start(host);
    return {
      channel,
      host,
      directChatId: ALICE_DM,
      groupChatId: GENERAL,
      person: { id: ALICE, name: "Alice" },
      injectText: inject,
      injectEdit: async (chatId, ts, text) => fake.injectEdit({ channel: chatId, ts, text }),
      injectDelete: async (chatId, ts) => fake.injectDelete({ channel: chatId, ts }),
      // Slack has no quoted replies: a reply in the thread under a message is the nearest.
      injectReply: (chatId, quoted, text) => inject(chatId, text, quoted.id),
      repliesQuoteText: false,
      injectMention: (chatId, whom) =>
        inject(chatId, `<@${whom === "bot" ? fake.botUserId : ANDY}> what's up?`),
      delivered: async (chatId, ids) =>
        fake
          .messages(chatId)
          .filter((message) => ids.includes(message.ts))
          .map((message) => ({ id: message.ts, text: message.text })),
      deliveredFiles: async (chatId, count) => {
        const shared = () => fake.uploads.filter((upload) => upload.channel === chatId);
        await fake.waitForCall("files.completeUploadExternal", () => shared().length >= count);
        return shared().map((upload) => ({
          name: upload.filename,
          bytes: upload.bytes!,
          caption: upload.initialComment ?? "",
          // Slack shows a shared file of an image type as the image.
          image: mimeTypeFor(upload.filename).startsWith("image/"),
        }));
      },
      postAttempts: (chatId, text) =>
        fake.calls.filter(
          (call) =>
            call.method === "chat.postMessage" &&
            call.params.channel === chatId &&
            call.params.text === text,
        ).length,
      reactionsOn: (chatId, ts) =>
        (fake.messages(chatId).find((message) => message.ts === ts)?.reactions ?? []).map((name) =>
          name === reactionName(EYES) ? EYES : name,
        ),
      rateLimitSend: (_chatId, retryAfter, after) => {
        // The fake's failures queue per method; an empty one lets its call through.
        for (let i = 0; i < after; i++) fake.failNext("chat.postMessage", {});
        fake.failNext("chat.postMessage", { retryAfter });
      },
      dropConnection: async () => fake.dropConnections(),
      stop: async () => {
        await channel.stop();
        await fake.close();
      },
    };
  },
});
