// The channel conformance cases for Matrix: the adapter (matrix-js-sdk underneath) against
// the loopback fake homeserver.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatrixChannel } from "../../../src/channels/matrix/channel.ts";
import { createLogger } from "../../../src/log.ts";
import { startMatrixFake } from "../../fakes/matrix/server.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { runConformanceCases, type ConformanceTarget } from "./cases.ts";

const BEA = "@bea:fake.test";
/** A member whose display name is the assistant's: a pill of them must not trigger. */
const NAMESAKE = "@andy2:fake.test";

runConformanceCases({
  name: "Matrix",
  textLimit: 16_000,
  authFailure: { status: "auth_failed", detail: /rejected the access token \(M_UNKNOWN_TOKEN\)/ },
  skip: {},
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const fake = await startMatrixFake({ refuseToken: refuseAuth });
    const stateDir = await mkdtemp(join(tmpdir(), "pincer-matrix-"));
    const direct = fake.createRoom({ name: "Bea", members: [BEA], botJoined: true });
    const group = fake.createRoom({
      name: "Family",
      members: [BEA, NAMESAKE, "@cy:fake.test"],
      botJoined: true,
    });
    const host = new RecordingHost();
    const channel = new MatrixChannel({
      homeserverUrl: fake.baseUrl,
      accessToken: fake.accessToken,
      allowedInviters: [BEA],
      stateDir,
      assistantName: "Andy",
      logger: createLogger("silent"),
    });
    const text = (body: string, extra: Record<string, unknown> = {}) => ({
      msgtype: "m.text",
      body,
      ...extra,
    });
    const pill = (userId: string, label: string, rest: string) =>
      text(`${label}${rest}`, {
        format: "org.matrix.custom.html",
        formatted_body: `<a href="https://matrix.to/#/${userId}">${label}</a>${rest}`,
        "m.mentions": { user_ids: [userId] },
      });
    const sentMessages = (roomId: string, ids: string[]) =>
      fake.sentByBot(roomId, "m.room.message").filter((event) => ids.includes(event.event_id));
    await channel.start(host);
    return {
      channel,
      host,
      directChatId: direct,
      groupChatId: group,
      person: { id: BEA, name: "bea" },
      injectText: async (roomId, body) => fake.post(roomId, BEA, "m.room.message", text(body)),
      injectEdit: async (roomId, eventId, body) => {
        fake.post(
          roomId,
          BEA,
          "m.room.message",
          text(`* ${body}`, {
            "m.new_content": text(body),
            "m.relates_to": { rel_type: "m.replace", event_id: eventId },
          }),
        );
      },
      injectDelete: async (roomId, eventId) => {
        fake.redact(roomId, BEA, eventId);
      },
      // With the reply fallback most clients still send: the quote's first lines, "> <@sender> …".
      injectReply: async (roomId, quoted, body) =>
        fake.post(
          roomId,
          BEA,
          "m.room.message",
          text(`> <${quoted.byBot ? fake.botUserId : BEA}> ${quoted.text}\n\n${body}`, {
            "m.relates_to": { "m.in_reply_to": { event_id: quoted.id } },
          }),
        ),
      repliesQuoteText: true,
      injectMention: async (roomId, whom) =>
        fake.post(
          roomId,
          BEA,
          "m.room.message",
          whom === "bot"
            ? pill(fake.botUserId, "andy", ": what's up?")
            : pill(NAMESAKE, "Andy", ": your turn"),
        ),
      delivered: async (roomId, ids) =>
        sentMessages(roomId, ids).map((event) => ({
          id: event.event_id,
          text: String(event.content.body),
        })),
      deliveredFiles: async (roomId, count) => {
        const files = fake
          .sentByBot(roomId, "m.room.message")
          .filter((event) => ["m.image", "m.file"].includes(String(event.content.msgtype)))
          .map((event) => {
            const { body, filename, url, msgtype } = event.content as Record<string, string>;
            return {
              name: filename,
              bytes: fake.media(url!)!.bytes,
              // Matrix 1.10: a body other than the file name is the caption.
              caption: body === filename ? "" : body!,
              image: msgtype === "m.image",
            };
          });
        assert.ok(files.length >= count, `${files.length} of ${count} files sent`);
        return files;
      },
      postAttempts: (roomId, body) =>
        fake.requests.filter(
          (request) =>
            request.method === "PUT" &&
            request.path.startsWith(
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/`,
            ) &&
            (request.body as { body?: string } | undefined)?.body === body,
        ).length,
      reactionsOn: (roomId, eventId) => fake.botReactionsOn(roomId, eventId),
      waitForTyping: async (roomId) => {
        await fake.waitForRequest(
          (request) =>
            request.path ===
              `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(fake.botUserId)}` &&
            (request.body as { typing?: boolean }).typing === true,
        );
      },
      rateLimitSend: (roomId, retryAfterSeconds, after) =>
        fake.failNext(
          "PUT",
          new RegExp(
            `/rooms/${encodeURIComponent(roomId).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/send/m\\.room\\.message/`,
          ),
          {
            status: 429,
            errcode: "M_LIMIT_EXCEEDED",
            retryAfterMs: retryAfterSeconds * 1000,
            skip: after,
          },
        ),
      dropConnection: async () => {
        await fake.waitForPoll();
        fake.dropConnections();
      },
      stop: async () => {
        await channel.stop();
        await fake.close();
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  },
});
