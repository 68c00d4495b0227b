// Matrix events become the core's events: pills and m.mentions, m.replace edits, redactions,
// replies (with the older quote fallback cut), media and emotes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  stripReplyFallback,
  translateEvent,
  type RoomContext,
} from "../../../src/channels/matrix/inbound.ts";

const identity = { userId: "@andy:fake.test", assistantName: "Andy" };
const room: RoomContext = {
  roomId: "!r:fake.test",
  name: "Family",
  isGroup: true,
  displayNames: new Map([
    ["@bea:fake.test", "Bea"],
    ["@andy2:fake.test", "Andy"],
  ]),
};
const noMedia = () => Promise.reject(new Error("no media expected"));
const event = (content: Record<string, unknown>, extra = {}) => ({
  event_id: "$e1",
  type: "m.room.message",
  sender: "@bea:fake.test",
  origin_server_ts: 1700000000000,
  content,
  ...extra,
});
function message(content: Record<string, unknown>) {
  const result = translateEvent(event(content), room, identity, noMedia);
  assert.equal(result?.type, "message");
  return result.message;
}

describe("Matrix event translation", () => {
  it("reads a text message", () => {
    assert.deepEqual(
      translateEvent(event({ msgtype: "m.text", body: "hi" }), room, identity, noMedia),
      {
        type: "message",
        message: {
          chatId: "!r:fake.test",
          messageId: "$e1",
          senderId: "@bea:fake.test",
          senderName: "Bea",
          text: "hi",
          timestamp: 1700000000000,
          isGroup: true,
          chatName: "Family",
          mentionsBot: false,
        },
      },
    );
  });

  it("turns a pill of the bot into the trigger and other pills into plain names", () => {
    const toBot = message({
      msgtype: "m.text",
      body: "andy: lunch?",
      format: "org.matrix.custom.html",
      formatted_body: '<a href="https://matrix.to/#/@andy:fake.test">andy</a>: lunch?',
      "m.mentions": { user_ids: ["@andy:fake.test"] },
    });
    assert.equal(toBot.text, "@Andy: lunch?");
    assert.equal(toBot.mentionsBot, true);
    const toNamesake = message({
      msgtype: "m.text",
      body: "Andy: your turn",
      format: "org.matrix.custom.html",
      formatted_body: '<a href="https://matrix.to/#/%40andy2%3Afake.test">Andy</a>: your turn',
      "m.mentions": { user_ids: ["@andy2:fake.test"] },
    });
    assert.equal(toNamesake.text, "Andy (not the assistant): your turn");
    assert.equal(toNamesake.mentionsBot, false);
  });

  it("counts m.mentions without a pill as a mention", () => {
    const inbound = message({
      msgtype: "m.text",
      body: "ping",
      "m.mentions": { user_ids: ["@andy:fake.test"] },
    });
    assert.equal(inbound.text, "@Andy ping");
    assert.equal(inbound.mentionsBot, true);
  });

  it("reads a reply, cutting the older quote fallback; a reply to the bot addresses it", () => {
    const inbound = message({
      msgtype: "m.text",
      body: "> <@andy:fake.test> Noon?\n> Or one?\n\nNoon.",
      format: "org.matrix.custom.html",
      formatted_body: "<mx-reply><blockquote>…</blockquote></mx-reply>Noon.",
      "m.relates_to": { "m.in_reply_to": { event_id: "$bot1" } },
    });
    assert.equal(inbound.text, "Noon.");
    assert.deepEqual(inbound.replyTo, {
      messageId: "$bot1",
      senderName: "Andy",
      text: "Noon?\nOr one?",
    });
    assert.equal(inbound.mentionsBot, true);
    assert.deepEqual(stripReplyFallback("> just a quote\nno blank line"), {
      body: "> just a quote\nno blank line",
    });
  });

  it("reads a reply without the quote fallback (newer clients): the id, and m.mentions for the bot", () => {
    const inbound = message({
      msgtype: "m.text",
      body: "Noon.",
      "m.mentions": { user_ids: ["@andy:fake.test"] },
      "m.relates_to": { "m.in_reply_to": { event_id: "$bot2" } },
    });
    assert.equal(inbound.text, "@Andy Noon.", "a mention without a written name reads as one");
    // The quoted text and its author come from the store, in the core (see core/inbound.ts).
    assert.deepEqual(inbound.replyTo, { messageId: "$bot2", senderName: "", text: "" });
    assert.equal(inbound.mentionsBot, true);
  });

  it("maps m.replace to an edit and a redaction to a delete", () => {
    assert.deepEqual(
      translateEvent(
        event({
          msgtype: "m.text",
          body: "* first",
          "m.new_content": { msgtype: "m.text", body: "first" },
          "m.relates_to": { rel_type: "m.replace", event_id: "$e0" },
        }),
        room,
        identity,
        noMedia,
      ),
      {
        type: "edit",
        chatId: "!r:fake.test",
        messageId: "$e0",
        text: "first",
        timestamp: 1700000000000,
      },
    );
    assert.deepEqual(
      translateEvent(
        event({}, { type: "m.room.redaction", redacts: "$e0" }),
        room,
        identity,
        noMedia,
      ),
      {
        type: "delete",
        chatId: "!r:fake.test",
        messageId: "$e0",
      },
    );
    assert.deepEqual(
      translateEvent(
        event({ redacts: "$e9" }, { type: "m.room.redaction" }),
        room,
        identity,
        noMedia,
      ),
      {
        type: "delete",
        chatId: "!r:fake.test",
        messageId: "$e9",
      },
    );
  });

  it("reads media lazily, with a caption when one was written", async () => {
    const reads: string[] = [];
    const read = (mxc: string) => {
      reads.push(mxc);
      return Promise.resolve(new Uint8Array([7]));
    };
    const result = translateEvent(
      event({
        msgtype: "m.image",
        body: "look at this",
        filename: "cat.png",
        url: "mxc://fake.test/abc",
        info: { mimetype: "image/png", size: 1 },
      }),
      room,
      identity,
      read,
    );
    assert.ok(result?.type === "message");
    assert.equal(result.message.text, "look at this");
    const [file] = result.message.attachments ?? [];
    assert.deepEqual(
      { ...file, download: undefined },
      { kind: "image", fileName: "cat.png", mimeType: "image/png", size: 1, download: undefined },
    );
    assert.deepEqual(reads, []);
    assert.deepEqual(await file?.download(), new Uint8Array([7]));
    assert.deepEqual(reads, ["mxc://fake.test/abc"]);
    const plain = translateEvent(
      event({ msgtype: "m.file", body: "plan.pdf", url: "mxc://fake.test/p" }),
      room,
      identity,
      read,
    );
    assert.ok(plain?.type === "message");
    assert.equal(plain.message.text, "");
    assert.equal(plain.message.attachments?.[0]?.fileName, "plan.pdf");
  });

  it("writes an emote as an action and ignores the bot's own, reactions and encrypted events", () => {
    assert.equal(message({ msgtype: "m.emote", body: "waves" }).text, "* Bea waves");
    assert.equal(
      translateEvent(
        event({ msgtype: "m.text", body: "me" }, { sender: "@andy:fake.test" }),
        room,
        identity,
        noMedia,
      ),
      null,
    );
    assert.equal(
      translateEvent(
        event(
          { "m.relates_to": { rel_type: "m.annotation", event_id: "$e0", key: "👍" } },
          { type: "m.reaction" },
        ),
        room,
        identity,
        noMedia,
      ),
      null,
    );
    assert.equal(
      translateEvent(
        event({ algorithm: "m.megolm.v1.aes-sha2", ciphertext: "x" }, { type: "m.room.encrypted" }),
        room,
        identity,
        noMedia,
      ),
      null,
    );
  });
});
