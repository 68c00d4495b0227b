// What the agent reads of a mail: the new text, without the quoted history and signature.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { simpleParser } from "mailparser";
import { readableText } from "../../../src/channels/email/readable-text.ts";

describe("readableText", () => {
  it("cuts Gmail's quoted history, even when the attribution wraps", () => {
    const text = [
      "Noon works for me.",
      "",
      "On Tue, 3 Dec 2024 at 10:00, Bea Example <",
      "bea@example.com> wrote:",
      "",
      "> Lunch tomorrow?",
    ].join("\n");
    assert.equal(readableText(text), "Noon works for me.");
    assert.equal(readableText("Yes!\n\nOn Mon, Dec 2, 2024, Bea <b@x.com> wrote:\n> Ok?"), "Yes!");
  });

  it("cuts Outlook's original message block but not a body line starting with From:", () => {
    const outlook =
      "Sure.\r\n\r\n________________________________\r\nFrom: Bea\r\nSent: Monday\r\nSubject: x\r\n\r\nold";
    assert.equal(readableText(outlook), "Sure.");
    assert.equal(readableText("See below.\n-----Original Message-----\nFrom: Bea"), "See below.");
    assert.equal(
      readableText("From: the top of the hill\nwe saw the sea"),
      "From: the top of the hill\nwe saw the sea",
    );
  });

  it("keeps interleaved quotes but drops the trailing quote of a top-posted reply", () => {
    const text = "> Lunch?\nYes.\n> Where?\nThe usual.\n\n> old\n> older";
    assert.equal(readableText(text), "> Lunch?\nYes.\n> Where?\nThe usual.");
  });

  it("drops the signature and a phone's sign-off", () => {
    assert.equal(readableText("Thanks!\n-- \nBea Example\nCEO"), "Thanks!");
    assert.equal(readableText("Thanks!\n\nSent from my iPhone"), "Thanks!");
    assert.equal(readableText("Thanks!\n\nGet Outlook for Android"), "Thanks!");
  });

  it("reads an HTML-only mail as text (mailparser converts it)", async () => {
    const raw = [
      "From: bea@example.com",
      "To: andy@example.com",
      "Subject: hi",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<html><body><p>Hello <b>there</b>,</p><p>see <a href='https://example.com/x'>this</a></p><div class='gmail_quote'>On Mon, Bea wrote:<blockquote>old</blockquote></div></body></html>",
    ].join("\r\n");
    const parsed = await simpleParser(raw);
    const text = readableText(parsed.text ?? "");
    assert.match(text, /^Hello there,/);
    assert.match(text, /this \[https:\/\/example\.com\/x\]/);
    assert.doesNotMatch(text, /old/);
  });
});
