// kill -9 in the middle of an inbound burst, on email, Signal and Matrix: after the restart
// every message is stored once, in the platform's order. The burst goes to a chat nobody
// registered (stored, never answered), so no model is involved: what is tested is where
// each adapter acknowledges its platform (IMAP \Seen, the Matrix sync token) relative to the
// store's commit. The first half of the burst is still arriving when the service dies; the
// second half arrives while it is down; a last marker, stored after everything, shows that
// nothing old is replayed behind it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dovecotPath, startDovecot } from "../fakes/email/dovecot.ts";
import { startMatrixFake } from "../fakes/matrix/server.ts";
import { startSignalFake } from "../fakes/signal/server.ts";
import {
  channelState,
  removeDir,
  startService,
  storedMessages,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const BEFORE = Array.from({ length: 12 }, (_, i) => `burst-a${i + 1}`);
const WHILE_DOWN = Array.from({ length: 5 }, (_, i) => `burst-b${i + 1}`);
const MARKER = "burst-end";

interface Platform {
  name: string;
  env: Record<string, string>;
  chatId: string;
  send(text: string): Promise<unknown> | void;
  /** What the platform does once the service's connection is gone. */
  afterKill?(): void;
}

async function connected(service: Service, name: string): Promise<void> {
  await waitFor(
    async () => (await channelState(service, name))?.status === "connected" || undefined,
    `${name} to connect`,
    60_000,
  );
}

/** The messages' texts in the chat, in order (a mail's is "Subject: …", a blank line, the body). */
function storedTexts(service: Service, chatId: string): string[] {
  return storedMessages(service, chatId, "in").map((text) => text.split("\n").at(-1) ?? "");
}

/** Runs the burst; returns what was stored in the chat, in order. */
async function burstAcrossKill(platform: Platform): Promise<string[]> {
  const dataDir = tempDir();
  let service = await startService({ dataDir, env: platform.env });
  try {
    await connected(service, platform.name);
    for (const text of BEFORE) await platform.send(text);
    await waitFor(
      () => storedTexts(service, platform.chatId).length > 0 || undefined,
      "the burst to start arriving",
      60_000,
    );
    await service.kill();
    platform.afterKill?.();
    for (const text of WHILE_DOWN) await platform.send(text);
    service = await startService({ dataDir, env: platform.env });
    await connected(service, platform.name);
    await platform.send(MARKER);
    await waitFor(
      () => storedTexts(service, platform.chatId).includes(MARKER) || undefined,
      "the marker after the burst",
      90_000,
    );
    return storedTexts(service, platform.chatId);
  } catch (error) {
    const log = service.output().split("\n").slice(-30).join("\n");
    throw new Error(
      `${(error as Error).message}; stored: ${JSON.stringify(storedTexts(service, platform.chatId))}\n--- service log ---\n${log}`,
      { cause: error },
    );
  } finally {
    await service.stop();
    removeDir(dataDir);
  }
}

describe("kill -9 during an inbound burst", () => {
  it("Matrix: nothing lost, nothing stored twice (the sync token follows the store)", async (t) => {
    const matrix = await startMatrixFake();
    t.after(() => matrix.close());
    const OWNER = "@ada:fake.test";
    const room = matrix.createRoom({ name: "Burst", members: [OWNER], botJoined: true });
    const stored = await burstAcrossKill({
      name: "matrix",
      env: {
        MATRIX_HOMESERVER_URL: matrix.baseUrl,
        MATRIX_ACCESS_TOKEN: matrix.accessToken,
        MATRIX_ALLOWED_INVITERS: OWNER,
      },
      chatId: room,
      send: (text) =>
        void matrix.post(room, OWNER, "m.room.message", { msgtype: "m.text", body: text }),
    });
    assert.deepEqual(stored, [...BEFORE, ...WHILE_DOWN, MARKER]);
  });

  it(
    "email: nothing lost, nothing stored twice (\\Seen only after the commit)",
    { skip: dovecotPath() ? false : "dovecot is not installed (apt-get install dovecot-imapd)" },
    async (t) => {
      const BOT = { user: "andy@example.test", password: "imap-secret" };
      const SENDER = "bea@example.org";
      const dovecot = await startDovecot([BOT]);
      t.after(() => dovecot.close());
      let count = 0;
      const stored = await burstAcrossKill({
        name: "email",
        env: {
          // SMTP is never used here (nothing is answered); a closed port is enough.
          EMAIL_IMAP_HOST: dovecot.host,
          EMAIL_IMAP_PORT: String(dovecot.port),
          EMAIL_SMTP_HOST: "127.0.0.1",
          EMAIL_SMTP_PORT: "9",
          EMAIL_USER: BOT.user,
          EMAIL_PASSWORD: BOT.password,
          EMAIL_INSECURE: "1",
        },
        chatId: SENDER,
        send: (text) =>
          dovecot.deliver(
            BOT,
            [
              "Authentication-Results: mx.example.test; dmarc=pass header.from=example.org",
              `From: Bea <${SENDER}>`,
              `To: ${BOT.user}`,
              `Subject: ${text}`,
              `Message-ID: <burst-${(count += 1)}@example.org>`,
              `Date: ${new Date().toUTCString()}`,
              "",
              text,
              "",
            ].join("\r\n"),
          ),
      });
      assert.deepEqual(stored, [...BEFORE, ...WHILE_DOWN, MARKER]);
    },
  );

  it("Signal: nothing stored twice; what arrives while down is delivered after the restart", async (t) => {
    const ACCOUNT = "+15550000001";
    const BEA = { number: "+15550000002", uuid: "uuid-bea", name: "Bea" };
    const signal = await startSignalFake({ account: ACCOUNT });
    t.after(() => signal.close());
    const stored = await burstAcrossKill({
      name: "signal",
      env: { SIGNAL_CLI_URL: signal.url, SIGNAL_ACCOUNT: ACCOUNT },
      chatId: BEA.number,
      send: (text) => void signal.injectMessage({ from: BEA, text }),
      // The daemon notices the dead connection (the fake would otherwise write into it).
      afterKill: () => signal.dropStreams(),
    });
    // signal-cli removes a message from Signal's servers as it decrypts it, before any client
    // could acknowledge it: one that was on its way from the daemon when the service died is
    // gone (README, Signal). Everything else arrives once, in order.
    assert.equal(new Set(stored).size, stored.length, "nothing stored twice");
    assert.deepEqual(stored.slice(-WHILE_DOWN.length - 1), [...WHILE_DOWN, MARKER]);
    const before = stored.slice(0, -WHILE_DOWN.length - 1);
    assert.deepEqual(
      before,
      BEFORE.filter((text) => before.includes(text)),
      "in order",
    );
  });
});
