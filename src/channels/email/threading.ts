// The headers that keep a reply in the correspondent's thread (RFC 5322 3.6.4): In-Reply-To
// names the mail answered, References its whole ancestry, and the subject gains one "Re:".

export interface MailHeaders {
  messageId?: string | undefined;
  references?: string | readonly string[] | undefined;
  subject?: string | undefined;
}

export interface ReplyHeaders {
  inReplyTo?: string;
  references?: string[];
  subject: string;
}

/** Long threads would grow the header without bound; mail clients keep the first and the latest. */
const MAX_REFERENCES = 20;

/** "Re:", "RE:", "Aw:", "Sv:", "Antw:" and repeats, as clients prefix replies. */
const REPLY_PREFIX = /^\s*((re|aw|sv|antw|réf|ref)(\[\d+\])?\s*:\s*)+/i;

export function replySubject(subject: string | undefined): string {
  const bare = (subject ?? "").replace(REPLY_PREFIX, "").trim();
  return bare ? `Re: ${bare}` : "Re: your message";
}

function ids(value: string | readonly string[] | undefined): string[] {
  if (!value) return [];
  const text = typeof value === "string" ? value : value.join(" ");
  return text.match(/<[^<>\s]+>/g) ?? [];
}

export function replyHeaders(original: MailHeaders): ReplyHeaders {
  const messageId = ids(original.messageId)[0];
  const chain = [...new Set([...ids(original.references), ...(messageId ? [messageId] : [])])];
  const references =
    chain.length > MAX_REFERENCES ? [chain[0]!, ...chain.slice(-(MAX_REFERENCES - 1))] : chain;
  return {
    subject: replySubject(original.subject),
    ...(messageId ? { inReplyTo: messageId } : {}),
    ...(references.length ? { references } : {}),
  };
}
