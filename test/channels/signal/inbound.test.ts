// signal-cli envelopes become the core's events: ids from author + timestamp, mentions of the
// bot's number as the trigger, quotes as replies, edits, remote deletes and groups.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  addressOf,
  parseMessageId,
  translateEnvelope,
  type SignalIdentity,
} from "../../../src/channels/signal/inbound.ts";

const identity: SignalIdentity = {
  account: "+15550000001",
  uuid: "uuid-bot",
  assistantName: "Andy",
};
const noFiles = () => Promise.reject(new Error("no attachment expected"));
const bea = {
  source: "+15550000002",
  sourceNumber: "+15550000002",
  sourceUuid: "uuid-bea",
  sourceName: "Bea",
  sourceDevice: 1,
};
const group = { groupId: "ab+c/d==", groupName: "Family", revision: 3, type: "DELIVER" };

function message(envelope: Record<string, unknown>) {
  const { event } = translateEnvelope(envelope, identity, noFiles);
  assert.equal(event?.type, "message");
  return event.message;
}

describe("Signal envelope translation", () => {
  it("reads a direct message", () => {
    const result = translateEnvelope(
      {
        ...bea,
        timestamp: 1700000000123,
        dataMessage: { timestamp: 1700000000123, message: "hi", expiresInSeconds: 0 },
      },
      identity,
      noFiles,
    );
    assert.deepEqual(result.chat, { chatId: "+15550000002", name: "Bea", isGroup: false });
    assert.deepEqual(result.event, {
      type: "message",
      message: {
        chatId: "+15550000002",
        messageId: "1700000000123@+15550000002",
        senderId: "+15550000002",
        senderName: "Bea",
        text: "hi",
        timestamp: 1700000000123,
        isGroup: false,
        mentionsBot: false,
      },
    });
  });

  it("puts group messages in the group's chat, addressed back by group id", () => {
    const inbound = message({
      ...bea,
      timestamp: 5,
      dataMessage: { timestamp: 5, message: "yo", groupInfo: group },
    });
    assert.equal(inbound.chatId, "group:ab+c/d==");
    assert.equal(inbound.isGroup, true);
    assert.equal(inbound.chatName, "Family");
    assert.deepEqual(addressOf(inbound.chatId), { groupId: "ab+c/d==" });
    assert.deepEqual(addressOf("+15550000002"), { recipient: ["+15550000002"] });
  });

  it("writes a mention of the bot's number or id as the trigger, others as their number", () => {
    const inbound = message({
      ...bea,
      timestamp: 6,
      dataMessage: {
        timestamp: 6,
        message: "\uFFFC and \uFFFC, lunch? 🍕 \uFFFC",
        mentions: [
          { name: "+15550000001", number: "+15550000001", uuid: "uuid-bot", start: 0, length: 1 },
          { name: "+15550000003", number: "+15550000003", uuid: "uuid-cy", start: 6, length: 1 },
          { number: null, uuid: "uuid-bot", start: 19, length: 1 },
        ],
        groupInfo: group,
      },
    });
    assert.equal(inbound.text, "@Andy and @+15550000003, lunch? 🍕 @Andy");
    assert.equal(inbound.mentionsBot, true);
  });

  it("does not let a member named like the assistant trigger it", () => {
    const inbound = message({
      ...bea,
      timestamp: 7,
      dataMessage: {
        timestamp: 7,
        message: "\uFFFC hi",
        mentions: [{ name: "Andy", number: "+1555", uuid: "u", start: 0, length: 1 }],
        groupInfo: group,
      },
    });
    assert.equal(inbound.text, "Andy (not the assistant) hi");
    assert.equal(inbound.mentionsBot, false);
  });

  it("turns a quote into replyTo; quoting the bot counts as addressing it", () => {
    const inbound = message({
      ...bea,
      timestamp: 8,
      dataMessage: {
        timestamp: 8,
        message: "this",
        quote: {
          id: 4,
          author: "+15550000001",
          authorNumber: "+15550000001",
          authorUuid: "uuid-bot",
          text: "earlier",
          attachments: [],
        },
      },
    });
    assert.deepEqual(inbound.replyTo, {
      messageId: "4@+15550000001",
      senderName: "Andy",
      text: "earlier",
    });
    assert.equal(inbound.mentionsBot, true);
  });

  it("maps edits and remote deletes onto the original message's id", () => {
    const edit = translateEnvelope(
      {
        ...bea,
        timestamp: 20,
        editMessage: { targetSentTimestamp: 9, dataMessage: { timestamp: 20, message: "fixed" } },
      },
      identity,
      noFiles,
    ).event;
    assert.deepEqual(edit, {
      type: "edit",
      chatId: "+15550000002",
      messageId: "9@+15550000002",
      text: "fixed",
      timestamp: 20,
    });
    const deletion = translateEnvelope(
      {
        ...bea,
        timestamp: 21,
        dataMessage: {
          timestamp: 21,
          message: null,
          remoteDelete: { timestamp: 9 },
          groupInfo: group,
        },
      },
      identity,
      noFiles,
    ).event;
    assert.deepEqual(deletion, {
      type: "delete",
      chatId: "group:ab+c/d==",
      messageId: "9@+15550000002",
    });
    assert.deepEqual(parseMessageId("9@+15550000002"), { timestamp: 9, author: "+15550000002" });
    assert.equal(parseMessageId("nonsense"), null);
  });

  it("reads attachments through the daemon only when downloaded", async () => {
    const reads: string[] = [];
    const { event } = translateEnvelope(
      {
        ...bea,
        timestamp: 30,
        dataMessage: {
          timestamp: 30,
          message: "",
          attachments: [{ contentType: "image/jpeg", filename: null, id: "abc.jpg", size: 3 }],
        },
      },
      identity,
      (id, chatId) => {
        reads.push(`${id} ${chatId}`);
        return Promise.resolve(new Uint8Array([1, 2, 3]));
      },
    );
    assert.ok(event?.type === "message");
    const [file] = event.message.attachments ?? [];
    assert.deepEqual(
      { ...file, download: undefined },
      { kind: "image", fileName: "abc.jpg", mimeType: "image/jpeg", size: 3, download: undefined },
    );
    assert.deepEqual(reads, []);
    assert.deepEqual(await file?.download(), new Uint8Array([1, 2, 3]));
    assert.deepEqual(reads, ["abc.jpg +15550000002"]);
  });

  it("ignores receipts, typing, reactions and the bot's own messages", () => {
    for (const envelope of [
      { ...bea, timestamp: 40, receiptMessage: { when: 40, isDelivery: true, timestamps: [1] } },
      { ...bea, timestamp: 41, typingMessage: { action: "STARTED", timestamp: 41 } },
      {
        ...bea,
        timestamp: 42,
        dataMessage: {
          timestamp: 42,
          message: null,
          reaction: {
            emoji: "👍",
            targetAuthorNumber: "+1",
            targetSentTimestamp: 1,
            isRemove: false,
          },
        },
      },
      {
        source: "+15550000001",
        sourceNumber: "+15550000001",
        sourceUuid: "uuid-bot",
        timestamp: 43,
        dataMessage: { timestamp: 43, message: "me" },
      },
    ])
      assert.equal(translateEnvelope(envelope, identity, noFiles).event, null);
  });
});
