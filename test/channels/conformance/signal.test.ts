// The channel conformance cases for Signal: the adapter against the loopback fake of
// signal-cli's HTTP daemon.
import assert from "node:assert/strict";
import { SignalChannel } from "../../../src/channels/signal/channel.ts";
import { GROUP_PREFIX, parseMessageId } from "../../../src/channels/signal/inbound.ts";
import { createLogger } from "../../../src/log.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { startSignalFake, type RpcCall } from "../../fakes/signal/server.ts";
import { runConformanceCases, type ConformanceTarget } from "./cases.ts";

const ACCOUNT = "+15550000001";
const BEA = { number: "+15550000002", uuid: "uuid-bea", name: "Bea" };
/** A member whose profile name is the assistant's: a mention of them must not trigger. */
const NAMESAKE = { number: "+15550000003", uuid: "uuid-andy", name: "Andy" };
const GROUP = { id: "RmFtaWx5R3JvdXBJZA==", name: "Family" };
const GROUP_CHAT = `${GROUP_PREFIX}${GROUP.id}`;

function addressedTo(call: RpcCall, chatId: string): boolean {
  if (chatId === GROUP_CHAT) return call.params.groupId === GROUP.id;
  const recipient = call.params.recipient;
  return Array.isArray(recipient) ? recipient.includes(chatId) : recipient === chatId;
}

runConformanceCases({
  name: "Signal",
  textLimit: 2000,
  authFailure: {
    status: "logged_out",
    detail: /signal-cli has no account \+15550000001: register it/,
  },
  skip: {},
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const fake = await startSignalFake({ account: ACCOUNT, registered: !refuseAuth });
    const host = new RecordingHost();
    const channel = new SignalChannel({
      url: fake.url,
      account: ACCOUNT,
      assistantName: "Andy",
      logger: createLogger("silent"),
    });
    const groupOf = (chatId: string) => (chatId === GROUP_CHAT ? { group: GROUP } : {});
    const idOf = (timestamp: number) => `${timestamp}@${BEA.number}`;
    const timestampOf = (id: string) => parseMessageId(id)!.timestamp;
    await channel.start(host);
    return {
      channel,
      host,
      directChatId: BEA.number,
      groupChatId: GROUP_CHAT,
      person: { id: BEA.number, name: BEA.name },
      injectText: async (chatId, text) =>
        idOf(fake.injectMessage({ from: BEA, text, ...groupOf(chatId) })),
      injectEdit: async (chatId, id, text) => {
        fake.injectEdit(BEA, timestampOf(id), text, chatId === GROUP_CHAT ? GROUP : undefined);
      },
      injectDelete: async (chatId, id) => {
        fake.injectDelete(BEA, timestampOf(id), chatId === GROUP_CHAT ? GROUP : undefined);
      },
      injectReply: async (chatId, quoted, text) => {
        const author = quoted.byBot ? { number: ACCOUNT, uuid: "uuid-bot", name: "Andy" } : BEA;
        const quote = { timestamp: timestampOf(quoted.id), author, text: quoted.text };
        return idOf(fake.injectMessage({ from: BEA, text, quote, ...groupOf(chatId) }));
      },
      repliesQuoteText: true,
      injectMention: async (chatId, whom) => {
        const who = whom === "bot" ? { number: ACCOUNT, uuid: "uuid-bot" } : NAMESAKE;
        const text = "\uFFFC what's up?";
        const mention = { start: 0, length: 1, number: who.number, uuid: who.uuid };
        return idOf(
          fake.injectMessage({ from: BEA, text, mentions: [mention], ...groupOf(chatId) }),
        );
      },
      delivered: async (chatId, ids) =>
        fake.sent
          .filter((sent) =>
            chatId === GROUP_CHAT ? sent.groupId === GROUP.id : sent.recipient === chatId,
          )
          .filter((sent) => ids.includes(`${sent.timestamp}@${ACCOUNT}`))
          .map((sent) => ({ id: `${sent.timestamp}@${ACCOUNT}`, text: sent.message })),
      deliveredFiles: async (chatId, count) => {
        const files = fake.sent
          .filter((sent) => sent.recipient === chatId && sent.attachments.length > 0)
          .map((sent) => {
            // As signal-cli reads it: data:<type>;filename=<name>;base64,<data>
            const uri = /^data:([^;]+);filename=([^;]+);base64,(.*)$/.exec(sent.attachments[0]!);
            assert.ok(uri, `a data URI with a file name: ${sent.attachments[0]!.slice(0, 60)}`);
            return {
              name: uri[2],
              bytes: Buffer.from(uri[3]!, "base64"),
              caption: sent.message,
              // Signal shows an attachment of an image type as the image.
              image: uri[1]!.startsWith("image/"),
            };
          });
        assert.ok(files.length >= count, `${files.length} of ${count} files sent`);
        return files;
      },
      postAttempts: (chatId, text) =>
        fake.calls.filter(
          (call) =>
            call.method === "send" && call.params.message === text && addressedTo(call, chatId),
        ).length,
      reactionsOn: (chatId, id) => {
        const emoji = fake.reactionOn(chatId === GROUP_CHAT ? GROUP.id : chatId, timestampOf(id));
        return emoji ? [emoji] : [];
      },
      waitForTyping: async (chatId) => {
        await fake.waitForCall(
          "sendTyping",
          (call) => addressedTo(call, chatId) && !call.params.stop,
        );
      },
      rateLimitSend: (_chatId, retryAfterSeconds, after) =>
        fake.failNext("send", {
          code: -5,
          message: "Failed to send message due to rate limiting",
          data: {
            response: {
              timestamp: 0,
              results: [{ type: "RATE_LIMIT_FAILURE", retryAfterSeconds }],
            },
          },
          skip: after,
        }),
      dropConnection: async () => {
        await fake.waitForStream();
        fake.dropStreams();
      },
      stop: async () => {
        await channel.stop();
        await fake.close();
      },
    };
  },
});
