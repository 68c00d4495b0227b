// An SMTP server for tests that keeps what it is sent: smtp-server on 127.0.0.1 at a free
// port, plaintext AUTH (no TLS on loopback), every accepted message recorded raw and parsed.
// `failNext` answers the next DATA with an SMTP error (4xx to test retries, 5xx refusals).
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface SentMail {
  /** MAIL FROM and RCPT TO, as the client gave them. */
  envelope: { from: string; to: string[] };
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpSink {
  host: "127.0.0.1";
  port: number;
  readonly sent: SentMail[];
  /** How many DATA commands were answered, accepted or refused. */
  readonly attempts: number;
  failNext(code: number, message: string): void;
  /** Resolves once `count` messages were accepted. */
  waitForSent(count: number): Promise<SentMail[]>;
  close(): Promise<void>;
}

export async function startSmtpSink(credentials: {
  user: string;
  password: string;
}): Promise<SmtpSink> {
  const sent: SentMail[] = [];
  const failures: { code: number; message: string }[] = [];
  const waiters = new Set<() => void>();
  let attempts = 0;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.password)
        callback(null, { user: auth.username });
      else
        callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        attempts += 1;
        const failure = failures.shift();
        if (failure) {
          callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        void simpleParser(raw).then((parsed) => {
          sent.push({ envelope: { from, to }, raw, parsed });
          for (const waiter of [...waiters]) waiter();
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: "127.0.0.1",
    port,
    sent,
    get attempts() {
      return attempts;
    },
    failNext(code, message) {
      failures.push({ code, message });
    },
    waitForSent(count) {
      return new Promise((resolve) => {
        const check = () => {
          if (sent.length < count) return;
          waiters.delete(check);
          resolve(sent.slice(0, count));
        };
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
