// The channel conformance cases for Discord: real discord.js against the loopback gateway
// and REST fake.
import { DiscordChannel } from "../../../src/channels/discord/channel.ts";
import { createLogger } from "../../../src/log.ts";
import { startDiscordFake } from "../../fakes/discord/server.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { ASSISTANT_NAME, runConformanceCases, type ConformanceTarget } from "./cases.ts";

const GUILD = "230000000000000001";
const GENERAL = "330000000000000001";
const ALICE_DM = "430000000000000001";
const NAMESAKE_DM = "430000000000000002";
const ALICE = { id: "530000000000000001", username: "alice", global_name: "Alice" };
/** A member whose display name is the assistant's: mentioning them must not trigger. */
const ANDY = { id: "530000000000000002", username: "andy", global_name: ASSISTANT_NAME };

runConformanceCases({
  name: "Discord",
  textLimit: 2000,
  authFailure: { status: "auth_failed", detail: /rejected the bot token \(401/ },
  skip: {},
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const fake = await startDiscordFake({ token: "conformance-token" });
    fake.addGuild({ id: GUILD, name: "Crab Club", channels: [{ id: GENERAL, name: "general" }] });
    fake.addDmChannel({ id: ALICE_DM, recipient: ALICE });
    fake.addDmChannel({ id: NAMESAKE_DM, recipient: ANDY });
    const host = new RecordingHost();
    const channel = new DiscordChannel({
      token: refuseAuth ? "not-the-token" : fake.token,
      apiUrl: fake.apiUrl,
      assistantName: ASSISTANT_NAME,
      logger: createLogger("silent"),
    });
    const inject = async (chatId: string, content: string, replyTo?: string) => {
      const guildId = chatId === GENERAL ? { guildId: GUILD } : {};
      const reference = replyTo ? { message_reference: { message_id: replyTo } } : {};
      return fake.injectMessage({
        channelId: chatId,
        ...guildId,
        author: ALICE,
        content,
        ...reference,
      }).id;
    };
    const messagesPath = (chatId: string) => `/channels/${chatId}/messages`;
    await channel.start(host);
    return {
      channel,
      host,
      directChatId: ALICE_DM,
      groupChatId: GENERAL,
      person: { id: ALICE.id, name: ALICE.global_name },
      injectText: inject,
      injectEdit: async (chatId, messageId, content) => {
        fake.injectEdit({ channelId: chatId, messageId, content });
      },
      injectDelete: async (chatId, messageId) =>
        fake.injectDelete({ channelId: chatId, messageId }),
      injectReply: (chatId, quoted, text) => inject(chatId, text, quoted.id),
      repliesQuoteText: true,
      injectMention: (chatId, whom) =>
        inject(chatId, `<@${whom === "bot" ? fake.botUser.id : ANDY.id}> what's up?`),
      delivered: async (chatId, ids) => {
        const held = () => fake.messagesIn(chatId).filter((message) => ids.includes(message.id));
        await fake.waitFor(() => held().length === ids.length);
        return held().map((message) => ({ id: message.id, text: message.content }));
      },
      deliveredFiles: async (chatId, count) => {
        const held = () =>
          fake
            .messagesIn(chatId)
            .filter((message) => message.author.id === fake.botUser.id)
            .filter((message) => message.attachments.length > 0);
        await fake.waitFor(() => held().length >= count);
        return Promise.all(
          held().map(async (message) => {
            const attachment = message.attachments[0]!;
            const bytes = new Uint8Array(await (await fetch(attachment.url)).arrayBuffer());
            return {
              name: attachment.filename,
              bytes,
              caption: message.content,
              // Discord shows an attachment of an image type as the image.
              image: attachment.content_type?.startsWith("image/") ?? false,
            };
          }),
        );
      },
      postAttempts: (chatId, text) =>
        fake.calls.filter(
          (call) =>
            call.method === "POST" &&
            call.path === messagesPath(chatId) &&
            (call.body as { content?: string } | undefined)?.content === text,
        ).length,
      reactionsOn: (_chatId, messageId) => fake.botReactions(messageId),
      waitForTyping: async (chatId) => {
        await fake.waitForCall("POST", `/channels/${chatId}/typing`);
      },
      rateLimitSend: (chatId, retryAfter, skip) =>
        fake.failNext("POST", messagesPath(chatId), { status: 429, retryAfter, skip }),
      dropConnection: async () => {
        fake.dropConnections();
      },
      stop: async () => {
        await channel.stop();
        await fake.close();
      },
    };
  },
});
