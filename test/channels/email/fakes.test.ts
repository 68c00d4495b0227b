// The email test servers answer the real client libraries: imapflow logs in to the Dovecot
// harness and sees a delivered mail, nodemailer hands a mail to the SMTP sink.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { dovecotPath, startDovecot, type Dovecot } from "../../fakes/email/dovecot.ts";
import { startSmtpSink } from "../../fakes/email/smtp-sink.ts";

const owner = { user: "andy@example.test", password: "imap-secret" };

describe(
  "Dovecot harness",
  { skip: dovecotPath() ? false : "dovecot is not installed (apt-get install dovecot-imapd)" },
  () => {
    let dovecot: Dovecot;
    before(async () => {
      dovecot = await startDovecot([owner]);
    });
    after(() => dovecot.close());

    it("serves a delivered mail to imapflow and refuses a wrong password", async () => {
      const uid = await dovecot.deliver(
        owner,
        "From: Bea <bea@example.test>\r\nTo: andy@example.test\r\nSubject: Lunch\r\nMessage-ID: <lunch@example.test>\r\n\r\nNoon?\r\n",
      );
      const imap = new ImapFlow({
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        auth: { user: owner.user, pass: owner.password },
        logger: false,
      });
      await imap.connect();
      try {
        const lock = await imap.getMailboxLock("INBOX");
        try {
          const message = await imap.fetchOne(String(uid), { envelope: true }, { uid: true });
          assert.ok(message);
          assert.equal(message.envelope?.subject, "Lunch");
          assert.equal(message.envelope?.messageId, "<lunch@example.test>");
          await imap.messageFlagsAdd(String(uid), ["\\Seen"], { uid: true });
        } finally {
          lock.release();
        }
      } finally {
        await imap.logout();
      }
      assert.ok((await dovecot.flags(owner, uid)).includes("\\Seen"));
      const intruder = new ImapFlow({
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        auth: { user: owner.user, pass: "wrong" },
        logger: false,
      });
      await assert.rejects(intruder.connect());
      intruder.close();
    });
  },
);

describe("SMTP sink", () => {
  it("records what nodemailer sends and refuses when told to", async (t) => {
    const sink = await startSmtpSink({ user: "andy@example.test", password: "smtp-secret" });
    t.after(() => sink.close());
    const transport = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: "andy@example.test", pass: "smtp-secret" },
    });
    t.after(() => transport.close());
    sink.failNext(451, "Try again later");
    await assert.rejects(
      transport.sendMail({
        from: "andy@example.test",
        to: "bea@example.test",
        subject: "x",
        text: "y",
      }),
      (error: { responseCode?: number }) => error.responseCode === 451,
    );
    await transport.sendMail({
      from: "andy@example.test",
      to: "bea@example.test",
      subject: "Re: Lunch",
      text: "Noon works.",
      inReplyTo: "<lunch@example.test>",
    });
    const [mail] = await sink.waitForSent(1);
    assert.deepEqual(mail?.envelope, { from: "andy@example.test", to: ["bea@example.test"] });
    assert.equal(mail?.parsed.subject, "Re: Lunch");
    assert.equal(mail?.parsed.inReplyTo, "<lunch@example.test>");
    assert.equal(mail?.parsed.text?.trim(), "Noon works.");
    assert.equal(sink.attempts, 2);
    const wrong = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: "andy@example.test", pass: "nope" },
    });
    t.after(() => wrong.close());
    await assert.rejects(
      wrong.sendMail({ from: "andy@example.test", to: "bea@example.test", text: "z" }),
      (error: { responseCode?: number }) => error.responseCode === 535,
    );
  });
});
