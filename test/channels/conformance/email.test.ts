// The channel conformance cases for email: the adapter against a real Dovecot (IMAP, started
// by the test with its own config) and the SMTP sink. Skipped where Dovecot is not installed.
import { EmailChannel } from "../../../src/channels/email/channel.ts";
import { createLogger } from "../../../src/log.ts";
import { dovecotPath, startDovecot } from "../../fakes/email/dovecot.ts";
import { startSmtpSink } from "../../fakes/email/smtp-sink.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import {
  ASSISTANT_NAME,
  runConformanceCases,
  type CaseName,
  type ConformanceTarget,
} from "./cases.ts";

const BOT = { user: "andy@example.test", password: "imap-secret" };
const BEA = { address: "bea@example.org", name: "Bea" };
/** The provider's verdict on Bea's mail, as Gmail or Fastmail would add it on arrival. */
const VOUCHED =
  "Authentication-Results: mx.example.test; dkim=pass header.d=example.org; dmarc=pass header.from=example.org";

const noDovecot = dovecotPath()
  ? undefined
  : "dovecot is not installed (apt-get install dovecot-imapd)";
const allCases: CaseName[] = [
  "connect",
  "inbound text",
  "store failure",
  "edit",
  "delete",
  "mention",
  "quoted reply",
  "reply split",
  "reaction",
  "typing",
  "rate limit",
  "rate limit mid-reply",
  "reconnect",
  "auth failure",
];

let sequence = 0;

runConformanceCases({
  name: "Email",
  textLimit: Number.MAX_SAFE_INTEGER,
  authFailure: {
    status: "auth_failed",
    detail: /IMAP server refused the login for andy@example\.test; .*app password/,
  },
  skip: noDovecot
    ? Object.fromEntries(allCases.map((name) => [name, noDovecot]))
    : {
        edit: "a sent mail cannot be edited",
        delete: "a mail removed from the mailbox is not reported as a delete",
        mention: "mail has no group chats or mentions",
        "reply split": "a mail carries a whole reply; it is never split",
        reaction: "mail has no reactions",
        typing: "mail has no typing indicator",
        "rate limit": "SMTP has no Retry-After: a 4xx is retried by the outbox's own backoff",
        "rate limit mid-reply": "a reply is one mail",
      },
  async start({ refuseAuth = false } = {}): Promise<ConformanceTarget> {
    const dovecot = await startDovecot([BOT]);
    const sink = await startSmtpSink({ user: BOT.user, password: BOT.password });
    const host = new RecordingHost();
    const channel = new EmailChannel({
      imap: {
        host: dovecot.host,
        port: dovecot.port,
        user: BOT.user,
        password: refuseAuth ? "wrong" : BOT.password,
      },
      smtp: { host: sink.host, port: sink.port, user: BOT.user, password: BOT.password },
      address: BOT.user,
      folder: "INBOX",
      policy: { owners: [], trustUnauthenticated: false },
      insecure: true,
      assistantName: ASSISTANT_NAME,
      logger: createLogger("silent"),
    });
    const deliver = async (text: string, headers: string[] = []) => {
      sequence += 1;
      const messageId = `<m${sequence}.${Date.now()}@example.org>`;
      const raw = [
        VOUCHED,
        `From: ${BEA.name} <${BEA.address}>`,
        `To: ${BOT.user}`,
        `Message-ID: ${messageId}`,
        ...headers,
        `Date: ${new Date().toUTCString()}`,
        "",
        text,
        "",
      ].join("\r\n");
      await dovecot.deliver(BOT, raw);
      return messageId;
    };
    await channel.start(host);
    return {
      channel,
      host,
      directChatId: BEA.address,
      person: { id: BEA.address, name: BEA.name },
      injectText: (_chatId, text) => deliver(text),
      // As a mail client answers: In-Reply-To names the mail, its text quoted under the answer.
      injectReply: (_chatId, quoted, text) =>
        deliver(
          `${text}\r\n\r\nOn Monday, ${quoted.byBot ? ASSISTANT_NAME : BEA.name} wrote:\r\n> ${quoted.text}`,
          [`In-Reply-To: ${quoted.id}`, `References: ${quoted.id}`],
        ),
      repliesQuoteText: false,
      delivered: async (_chatId, ids) =>
        sink.sent
          .filter((mail) => ids.includes(mail.parsed.messageId ?? ""))
          .map((mail) => ({
            id: mail.parsed.messageId ?? "",
            text: mail.parsed.text?.trim() ?? "",
          })),
      deliveredFiles: async (chatId, count) => {
        const withFiles = () =>
          sink.sent.filter(
            (mail) => mail.envelope.to.includes(chatId) && mail.parsed.attachments.length > 0,
          );
        await sink.waitForSent(count);
        return withFiles().map((mail) => {
          const [attachment] = mail.parsed.attachments;
          return {
            name: attachment!.filename,
            bytes: attachment!.content,
            caption: mail.parsed.text?.trim() ?? "",
            // Mail has no image form: an image is an attachment of an image type.
            image: attachment!.contentType.startsWith("image/"),
          };
        });
      },
      dropConnection: () => dovecot.dropConnections(),
      stop: async () => {
        await channel.stop();
        await sink.close();
        await dovecot.close();
      },
    };
  },
});
