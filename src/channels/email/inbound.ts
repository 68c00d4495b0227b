// A parsed mail (mailparser) as the core's InboundMessage: the correspondent's chat (see
// senders.ts), the Message-ID as the message id (stable across a re-fetch after a crash, so
// the store's idempotent insert drops the copy), the subject and the readable text, and the
// attachments a person attached (not the images an HTML body embeds).
import type { Attachment as MailAttachment, ParsedMail } from "mailparser";
import type { Attachment, InboundMessage } from "../channel.ts";
import { readableText } from "./readable-text.ts";
import { judgeSender, normalizeAddress, type SenderPolicy, type SenderVerdict } from "./senders.ts";

export interface MailContext {
  policy: SenderPolicy;
  /** The address the assistant sends as: its own mail (a copy filed in the folder) is skipped. */
  ownAddress: string;
  /** Where the mail sits, for a message id when it has no Message-ID header. */
  uidValidity: bigint | number;
  uid: number;
  /** The server's arrival time (IMAP INTERNALDATE), used when the Date: header is missing. */
  receivedAt?: Date;
}

export interface TranslatedMail {
  message: InboundMessage;
  verdict: SenderVerdict;
}

/** Header values in the order they appear, topmost first, unfolded. */
export function headerValues(parsed: Pick<ParsedMail, "headerLines">, name: string): string[] {
  const key = name.toLowerCase();
  return parsed.headerLines
    .filter((line) => line.key === key)
    .map((line) =>
      line.line
        .slice(line.line.indexOf(":") + 1)
        .replace(/\r?\n[ \t]+/g, " ")
        .trim(),
    );
}

function kindOf(contentType: string): Attachment["kind"] {
  const type = contentType.split("/")[0];
  return type === "image" || type === "audio" || type === "video" ? type : "file";
}

function attachedFiles(attachments: readonly MailAttachment[]): Attachment[] {
  return attachments
    .filter((file) => !file.related && (file.contentDisposition === "attachment" || file.filename))
    .map((file, index) => ({
      kind: kindOf(file.contentType),
      fileName: file.filename || `attachment-${index + 1}`,
      mimeType: file.contentType,
      size: file.size,
      download: () => Promise.resolve(new Uint8Array(file.content)),
    }));
}

/** The mail's text as the agent reads it: the subject, then what the sender wrote. */
export function mailText(subject: string | undefined, body: string): string {
  const title = subject?.trim();
  return title ? `Subject: ${title}\n\n${body}`.trim() : body;
}

export function translateMail(parsed: ParsedMail, context: MailContext): TranslatedMail | null {
  const sender = parsed.from?.value.find((entry) => entry.address);
  if (!sender?.address) return null;
  if (normalizeAddress(sender.address) === normalizeAddress(context.ownAddress)) return null;
  const verdict = judgeSender(
    sender.address,
    headerValues(parsed, "authentication-results"),
    context.policy,
  );
  const attachments = attachedFiles(parsed.attachments);
  const address = normalizeAddress(sender.address);
  const message: InboundMessage = {
    chatId: verdict.chatId,
    messageId: parsed.messageId ?? `uid:${context.uidValidity}:${context.uid}`,
    senderId: address,
    senderName: sender.name || address,
    text: mailText(parsed.subject, readableText(parsed.text ?? "")),
    timestamp: (parsed.date ?? context.receivedAt ?? new Date()).getTime(),
    isGroup: false,
    chatName: sender.name ? `${sender.name} <${address}>` : address,
    mentionsBot: false,
    // The mail it answers; the core tells whether that is one the assistant sent and
    // quotes it from the store (the quoted text in the mail itself is cut off above).
    ...(parsed.inReplyTo
      ? { replyTo: { messageId: parsed.inReplyTo.trim(), senderName: "", text: "" } }
      : {}),
    ...(attachments.length ? { attachments } : {}),
  };
  return { message, verdict };
}
