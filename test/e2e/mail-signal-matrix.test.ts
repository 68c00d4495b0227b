// Email, Signal and Matrix end to end: the service as a process with each adapter inside,
// talking to Dovecot + the SMTP sink, the signal-cli daemon fake and the fake homeserver,
// and the fake model. The owner's chat is the main chat (MAIN_CHAT); a message there gets
// the model's echo back on the platform.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { lastUserText, startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { dovecotPath, startDovecot, type Dovecot } from "../fakes/email/dovecot.ts";
import { startSmtpSink, type SmtpSink } from "../fakes/email/smtp-sink.ts";
import { startMatrixFake, type MatrixFake } from "../fakes/matrix/server.ts";
import { startSignalFake, type SignalFake } from "../fakes/signal/server.ts";
import {
  channelState,
  removeDir,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const API_KEY = "sk-ant-e2e-channels-0000";
const REPLY_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 180_000;

function tail(service: Service): string {
  return service.output().split("\n").slice(-40).join("\n");
}

async function eventually<T>(
  service: Service,
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
): Promise<T> {
  try {
    return await waitFor(check, what, REPLY_TIMEOUT_MS);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- service log ---\n${tail(service)}`, {
      cause: error,
    });
  }
}

async function connected(service: Service, name: string): Promise<void> {
  await eventually(
    service,
    async () => (await channelState(service, name))?.status === "connected" || undefined,
    `${name} to connect`,
  );
}

describe("email, Signal and Matrix end to end", () => {
  let model: AnthropicFake;
  before(async () => {
    model = await startAnthropicFake((request) => ({ text: `echo: ${lastUserText(request)}` }));
  });
  after(() => model.close());
  const modelEnv = () => ({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: model.url });

  describe("Signal", () => {
    const OWNER = { number: "+15550000002", uuid: "uuid-owner", name: "Ada" };
    const dataDir = tempDir();
    let signal: SignalFake;
    let service: Service;
    before(async () => {
      signal = await startSignalFake({ account: "+15550000001" });
      service = await startService({
        dataDir,
        env: {
          ...modelEnv(),
          SIGNAL_CLI_URL: signal.url,
          SIGNAL_ACCOUNT: "+15550000001",
          MAIN_CHAT: `signal:${OWNER.number}`,
        },
      });
      await connected(service, "signal");
    });
    after(async () => {
      await service?.stop();
      await signal?.close();
      removeDir(dataDir);
    });

    it("answers the owner on Signal", { timeout: TEST_TIMEOUT_MS }, async () => {
      signal.injectMessage({ from: OWNER, text: "signal-hello are you there" });
      const reply = await eventually(
        service,
        () => signal.sent.find((sent) => sent.message.includes("signal-hello")),
        "a Signal reply",
      );
      assert.equal(reply.recipient, OWNER.number);
      assert.match(reply.message, /^echo: .*signal-hello are you there/s);
    });
  });

  describe("Matrix", () => {
    const OWNER = "@ada:fake.test";
    const dataDir = tempDir();
    let matrix: MatrixFake;
    let service: Service;
    let room: string;
    before(async () => {
      matrix = await startMatrixFake();
      room = matrix.createRoom({ name: "Ada", members: [OWNER], botJoined: true });
      service = await startService({
        dataDir,
        env: {
          ...modelEnv(),
          MATRIX_HOMESERVER_URL: matrix.baseUrl,
          MATRIX_ACCESS_TOKEN: matrix.accessToken,
          MATRIX_ALLOWED_INVITERS: OWNER,
          MAIN_CHAT: `matrix:${room}`,
        },
      });
      await connected(service, "matrix");
    });
    after(async () => {
      await service?.stop();
      await matrix?.close();
      removeDir(dataDir);
    });

    it(
      "answers the owner on Matrix, and a restart after kill -9 replays nothing",
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const one = matrix.post(room, OWNER, "m.room.message", {
          msgtype: "m.text",
          body: "matrix-hello one",
        });
        await eventually(
          service,
          () =>
            matrix
              .sentByBot(room, "m.room.message")
              .find((e) => String(e.content.body).includes("matrix-hello one")),
          "a Matrix reply",
        );
        // Killed once the turn is over (✅ on the message), with the sync position past it.
        await eventually(
          service,
          () => matrix.botReactionsOn(room, one).includes("✅") || undefined,
          "the turn to end",
        );
        await service.kill();
        matrix.post(room, OWNER, "m.room.message", { msgtype: "m.text", body: "matrix-hello two" });
        service = await startService({
          dataDir,
          env: {
            ...modelEnv(),
            MATRIX_HOMESERVER_URL: matrix.baseUrl,
            MATRIX_ACCESS_TOKEN: matrix.accessToken,
            MAIN_CHAT: `matrix:${room}`,
          },
        });
        await eventually(
          service,
          () =>
            matrix
              .sentByBot(room, "m.room.message")
              .find((e) => String(e.content.body).includes("matrix-hello two")),
          "the reply to the message sent while down",
        );
        // Messages, not their edits (a live preview is edited into the final text).
        const answers = (text: string) =>
          matrix
            .sentByBot(room, "m.room.message")
            .filter((e) => !("m.new_content" in e.content))
            .filter((e) => String(e.content.body).includes(text)).length;
        assert.equal(answers("matrix-hello one"), 1, "the first message is not answered again");
        assert.equal(answers("matrix-hello two"), 1);
      },
    );
  });

  describe(
    "email",
    { skip: dovecotPath() ? false : "dovecot is not installed (apt-get install dovecot-imapd)" },
    () => {
      const BOT = { user: "andy@example.test", password: "imap-secret" };
      const OWNER = "ada@example.org";
      const dataDir = tempDir();
      let dovecot: Dovecot;
      let sink: SmtpSink;
      let service: Service;
      before(async () => {
        dovecot = await startDovecot([BOT]);
        sink = await startSmtpSink({ user: BOT.user, password: BOT.password });
        service = await startService({
          dataDir,
          env: {
            ...modelEnv(),
            EMAIL_IMAP_HOST: dovecot.host,
            EMAIL_IMAP_PORT: String(dovecot.port),
            EMAIL_SMTP_HOST: sink.host,
            EMAIL_SMTP_PORT: String(sink.port),
            EMAIL_USER: BOT.user,
            EMAIL_PASSWORD: BOT.password,
            EMAIL_OWNER: OWNER,
            EMAIL_INSECURE: "1",
            MAIN_CHAT: `email:${OWNER}`,
          },
        });
        await connected(service, "email");
      });
      after(async () => {
        await service?.stop();
        await sink?.close();
        await dovecot?.close();
        removeDir(dataDir);
      });

      it(
        "answers the owner's authenticated mail in the thread",
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const raw = [
            "Authentication-Results: mx.example.test; dmarc=pass header.from=example.org",
            `From: Ada <${OWNER}>`,
            `To: ${BOT.user}`,
            "Subject: Weekend",
            "Message-ID: <weekend@example.org>",
            `Date: ${new Date().toUTCString()}`,
            "",
            "mail-hello any plans?",
            "",
          ].join("\r\n");
          await dovecot.deliver(BOT, raw);
          const [reply] = await eventually(
            service,
            async () => (sink.sent.length ? sink.sent : undefined),
            "an email reply",
          );
          assert.deepEqual(reply?.envelope.to, [OWNER]);
          assert.equal(reply?.parsed.subject, "Re: Weekend");
          assert.equal(reply?.parsed.inReplyTo, "<weekend@example.org>");
          assert.match(reply?.parsed.text ?? "", /echo: .*mail-hello any plans\?/s);
        },
      );
    },
  );
});
