// The email adapter: IMAP (imapflow) to read the watched folder, SMTP (nodemailer) to answer.
// imapflow keeps the mailbox in IDLE whenever no command runs, so new mail is announced by
// the server (an EXISTS update), not polled for. Each unseen mail goes through the kit's
// ordered queue and is flagged \Seen only after the core committed it: a crash before the
// flag means the mail is read again, and its Message-ID makes the store drop the copy, so
// nothing is lost or answered twice. A reply threads under the correspondent's latest mail.
import { ImapFlow, type FetchMessageObject } from "imapflow";
import { simpleParser } from "mailparser";
import nodemailer, { type Transporter } from "nodemailer";
import { registerSecret, type Logger } from "../../log.ts";
import { backoffMs } from "../../time/backoff.ts";
import { sleep } from "../../time/sleep.ts";
import { TransientSendError } from "../channel.ts";
import type { Channel, ChannelHost, ChannelStatus, SendOptions } from "../channel.ts";
import { DiscoveredChats } from "../kit/discovered-chats.ts";
import { ConnectionLoop } from "../kit/connection-loop.ts";
import { InboundQueue } from "../kit/inbound-queue.ts";
import { renderHtml, withLineBreaks } from "../render-html.ts";
import { translateMail } from "./inbound.ts";
import { UNVERIFIED_PREFIX, type SenderPolicy } from "./senders.ts";
import { replyHeaders, type MailHeaders } from "./threading.ts";

export interface MailServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface EmailChannelOptions {
  imap: MailServer;
  smtp: MailServer;
  /** The address replies are sent from (EMAIL_ADDRESS). */
  address: string;
  /** The folder watched for new mail. */
  folder: string;
  policy: SenderPolicy;
  /** Plaintext IMAP/SMTP without TLS: only for a server on loopback or a private network. */
  insecure: boolean;
  assistantName: string;
  logger: Logger;
}

const MAX_BACKOFF_MS = 60_000;

function authFailedDetail(server: "IMAP" | "SMTP", user: string): string {
  return `the ${server} server refused the login for ${user}; check EMAIL_USER and EMAIL_PASSWORD (Gmail and Fastmail need an app password, not the account password)`;
}

/** A failed SMTP send as the outbox reads it: 4xx replies and lost connections are retried. */
export function toSendError(error: unknown): Error {
  const { responseCode, code, message } = error as {
    responseCode?: number;
    code?: string;
    message?: string;
  };
  if (typeof responseCode === "number")
    return responseCode >= 400 && responseCode < 500
      ? new TransientSendError(message ?? "SMTP 4xx")
      : (error as Error);
  if (
    code &&
    ["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET"].includes(code)
  )
    return new TransientSendError(`cannot reach the SMTP server (${message ?? code})`);
  return error instanceof Error ? error : new Error(String(error));
}

export class EmailChannel implements Channel {
  readonly name = "email" as const;
  readonly #options: EmailChannelOptions;
  readonly #log: Logger;
  readonly #inbound: InboundQueue;
  readonly #connection: ConnectionLoop;
  readonly #chats = new DiscoveredChats();
  readonly #smtp: Transporter;
  /** The latest mail from each correspondent, to thread the reply under. */
  readonly #latest = new Map<string, MailHeaders>();
  #host: ChannelHost | null = null;
  #imap: ImapFlow | null = null;

  constructor(options: EmailChannelOptions) {
    registerSecret(options.imap.password);
    registerSecret(options.smtp.password);
    this.#options = options;
    this.#log = options.logger.child({ channel: "email" });
    this.#inbound = new InboundQueue({ logger: this.#log });
    this.#connection = new ConnectionLoop(this.#inbound, (signal) => this.#run(signal));
    const { smtp, insecure } = options;
    this.#smtp = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      // 465 speaks TLS from the first byte; 587 and 25 upgrade with STARTTLS, required here.
      secure: !insecure && smtp.port === 465,
      ...(insecure ? { ignoreTLS: true } : { requireTLS: smtp.port !== 465 }),
      auth: { user: smtp.user, pass: smtp.password },
    });
  }

  async start(host: ChannelHost): Promise<void> {
    if (this.#connection.running) return;
    this.#host = host;
    this.#connection.start(host);
  }

  async stop(): Promise<void> {
    // Closing the IMAP session ends an IDLE the abort signal cannot reach.
    await this.#connection.stop(() => this.#imap?.close());
    this.#smtp.close();
  }

  async send(chatId: string, markdown: string, _options: SendOptions): Promise<string[]> {
    if (chatId.startsWith(UNVERIFIED_PREFIX))
      throw new Error("mail whose sender the mail server did not authenticate is never answered");
    const original = this.#latest.get(chatId) ?? (await this.#latestFrom(chatId));
    const headers = replyHeaders(
      original ?? { subject: `Message from ${this.#options.assistantName}` },
    );
    try {
      const info = await this.#smtp.sendMail({
        from: { name: this.#options.assistantName, address: this.#options.address },
        to: chatId,
        subject: original ? headers.subject : `Message from ${this.#options.assistantName}`,
        text: markdown,
        // The same words as HTML for mail apps: emphasis, code, links and quotes shown as such.
        html: withLineBreaks(renderHtml(markdown)),
        ...(headers.inReplyTo ? { inReplyTo: headers.inReplyTo } : {}),
        ...(headers.references ? { references: headers.references } : {}),
      });
      return [info.messageId];
    } catch (error) {
      throw toSendError(error);
    }
  }

  #setState(status: ChannelStatus, detail?: string): void {
    this.#host?.setState(detail === undefined ? { status } : { status, detail });
  }

  /** Connects, reads what is unseen, then waits for the server's news until the connection ends. */
  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      if (failures > 0) await sleep(backoffMs(failures, 500, MAX_BACKOFF_MS), signal);
      if (signal.aborted) return;
      const { imap: server, insecure, folder } = this.#options;
      const imap = new ImapFlow({
        host: server.host,
        port: server.port,
        secure: !insecure && server.port !== 143,
        ...(insecure ? { doSTARTTLS: false } : {}),
        auth: { user: server.user, pass: server.password },
        logger: false,
        // IDLE as soon as the connection is free: new mail is announced, never waited for.
        autoIdleDelay: 0,
      });
      this.#imap = imap;
      const closed = new Promise<void>((resolve) => imap.once("close", () => resolve()));
      imap.on("error", (error: unknown) =>
        this.#log.debug({ err: error }, "imap connection error"),
      );
      try {
        await imap.connect();
        await imap.mailboxOpen(folder);
      } catch (error) {
        imap.close();
        if (signal.aborted) return;
        if ((error as { authenticationFailed?: boolean }).authenticationFailed) {
          this.#setState("auth_failed", authFailedDetail("IMAP", server.user));
          this.#log.error("the IMAP server refused the login");
          return;
        }
        failures += 1;
        this.#setState(
          "reconnecting",
          `cannot open ${folder} on ${server.host} (${describe(error)})`,
        );
        this.#log.warn({ err: error }, "imap connect failed; retrying");
        continue;
      }
      this.#setState("connected");
      // Each EXISTS update (new mail, announced during IDLE) asks for one more pass; passes run in turn.
      let pass = this.#readUnseen(imap, signal);
      imap.on("exists", () => {
        pass = pass.then(() => this.#readUnseen(imap, signal));
      });
      await closed;
      await pass;
      if (signal.aborted) return;
      failures = 1;
      this.#setState("reconnecting", `the IMAP connection to ${server.host} closed`);
    }
  }

  async #readUnseen(imap: ImapFlow, signal: AbortSignal): Promise<void> {
    try {
      const uids = (await imap.search({ seen: false }, { uid: true })) || [];
      for (const uid of [...uids].sort((a, b) => a - b)) {
        if (signal.aborted || !imap.usable) return;
        const fetched = await imap.fetchOne(
          String(uid),
          { source: true, internalDate: true },
          { uid: true },
        );
        if (!fetched || !fetched.source) continue;
        const outcome = await this.#inbound.push(this.#translate(imap, fetched));
        if (outcome === "stopped") return;
        await imap.messageFlagsAdd(String(uid), ["\\Seen"], { uid: true });
      }
    } catch (error) {
      if (!signal.aborted)
        this.#log.warn(
          { err: error },
          "reading new mail failed; the next connection reads it again",
        );
      imap.close();
    }
  }

  async #translate(imap: ImapFlow, fetched: FetchMessageObject) {
    const parsed = await simpleParser(fetched.source!);
    const received = fetched.internalDate;
    const result = translateMail(parsed, {
      policy: this.#options.policy,
      ownAddress: this.#options.address,
      uidValidity: imap.mailbox ? imap.mailbox.uidValidity : 0,
      uid: fetched.uid,
      ...(received ? { receivedAt: new Date(received) } : {}),
    });
    if (!result) return null;
    const { message, verdict } = result;
    if (!verdict.verified)
      this.#log.info(
        { chatId: message.chatId, reason: verdict.reason },
        "mail kept but never answered",
      );
    this.#chats.announce(this.#host, {
      chatId: message.chatId,
      name: message.chatName ?? message.chatId,
      isGroup: false,
    });
    this.#latest.set(message.chatId, {
      messageId: parsed.messageId,
      references: parsed.references,
      subject: parsed.subject,
    });
    return { type: "message" as const, message };
  }

  /** After a restart: the headers of the correspondent's latest mail in the folder. */
  async #latestFrom(address: string): Promise<MailHeaders | undefined> {
    const imap = this.#imap;
    if (!imap?.usable) return undefined;
    try {
      const uids = (await imap.search({ from: address }, { uid: true })) || [];
      const last = uids.length ? Math.max(...uids) : undefined;
      if (last === undefined) return undefined;
      const fetched = await imap.fetchOne(
        String(last),
        { headers: ["message-id", "references", "subject"] },
        { uid: true },
      );
      if (!fetched || !fetched.headers) return undefined;
      const parsed = await simpleParser(fetched.headers);
      return {
        messageId: parsed.messageId,
        references: parsed.references,
        subject: parsed.subject,
      };
    } catch (error) {
      this.#log.debug({ err: error }, "could not find the mail to thread a reply under");
      return undefined;
    }
  }
}

function describe(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return [message, code].filter(Boolean).join(": ") || String(error);
}
