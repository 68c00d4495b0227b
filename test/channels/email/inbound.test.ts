// A parsed mail becomes the core's message: chat by sender, Message-ID as id, readable text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { translateMail } from "../../../src/channels/email/inbound.ts";

const context = {
  policy: { owners: ["owner@example.com"], trustUnauthenticated: false },
  ownAddress: "andy@example.com",
  uidValidity: 7,
  uid: 42,
};

function mail(headers: string[], body: string) {
  return simpleParser([...headers, "", body].join("\r\n"));
}

describe("translateMail", () => {
  it("reads a verified mail from the owner", async () => {
    const parsed = await mail(
      [
        "Authentication-Results: mx.example.com; dmarc=pass header.from=example.com",
        "From: Owner <Owner@example.com>",
        "To: andy@example.com",
        "Subject: Plans",
        "Message-ID: <p1@example.com>",
        "Date: Tue, 03 Dec 2024 10:00:00 +0000",
      ],
      "What's on today?\r\n\r\nOn Mon, Andy <andy@example.com> wrote:\r\n> old",
    );
    const result = translateMail(parsed, context);
    assert.deepEqual(result?.verdict, { chatId: "owner@example.com", verified: true });
    assert.deepEqual(result?.message, {
      chatId: "owner@example.com",
      messageId: "<p1@example.com>",
      senderId: "owner@example.com",
      senderName: "Owner",
      text: "Subject: Plans\n\nWhat's on today?",
      timestamp: Date.UTC(2024, 11, 3, 10),
      isGroup: false,
      chatName: "Owner <owner@example.com>",
      mentionsBot: false,
    });
  });

  it("names the mail it answers (In-Reply-To), for the core to match against what it sent", async () => {
    const parsed = await mail(
      [
        "Authentication-Results: mx.example.com; dmarc=pass header.from=example.com",
        "From: owner@example.com",
        "Subject: Re: Plans",
        "Message-ID: <p2@example.com>",
        "In-Reply-To: <sent-1@pincer.example.com>",
      ],
      "Yes, Tuesday.\r\n\r\nOn Mon, Andy <andy@example.com> wrote:\r\n> Tuesday or Friday?",
    );
    const result = translateMail(parsed, context);
    assert.equal(result?.message.text, "Subject: Re: Plans\n\nYes, Tuesday.");
    assert.deepEqual(result?.message.replyTo, {
      messageId: "<sent-1@pincer.example.com>",
      senderName: "",
      text: "",
    });
  });

  it("keeps attached files, skips the assistant's own mail, and falls back to the UID", async () => {
    const parsed = await mail(
      ["From: bea@example.net", "Subject: file", "Content-Type: multipart/mixed; boundary=b"],
      "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=plan.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--",
    );
    const result = translateMail(parsed, { ...context, receivedAt: new Date(5000) });
    assert.equal(result?.message.messageId, "uid:7:42");
    assert.equal(result?.message.chatId, "unverified:bea@example.net");
    assert.equal(result?.message.timestamp, 5000);
    const [file] = result?.message.attachments ?? [];
    assert.equal(file?.fileName, "plan.pdf");
    assert.equal(file?.kind, "file");
    assert.deepEqual(await file?.download(), new Uint8Array(Buffer.from("%PDF")));
    assert.equal(translateMail(await mail(["From: andy@example.com"], "copy"), context), null);
  });
});
