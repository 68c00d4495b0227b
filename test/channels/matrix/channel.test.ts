// What the Matrix adapter adds to the conformance cases: the sync token survives a restart
// (nothing replayed, nothing missed), the first start skips history, invites are accepted only
// from MATRIX_ALLOWED_INVITERS, and an encrypted room is named in the state.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it, type TestContext } from "node:test";
import { MatrixChannel } from "../../../src/channels/matrix/channel.ts";
import { createLogger } from "../../../src/log.ts";
import { startMatrixFake } from "../../fakes/matrix/server.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";

const BEA = "@bea:fake.test";
const text = (body: string) => ({ msgtype: "m.text", body });

async function setup(t: TestContext, fakeOptions: Parameters<typeof startMatrixFake>[0] = {}) {
  const fake = await startMatrixFake(fakeOptions);
  const stateDir = await mkdtemp(join(tmpdir(), "pincer-matrix-"));
  const started: MatrixChannel[] = [];
  // One hook, in this order: a channel still syncing would write its token into the folder
  // being removed, and a failed removal must not leave a channel retrying forever.
  t.after(async () => {
    await Promise.all(started.map((channel) => channel.stop()));
    await fake.close();
    await rm(stateDir, { recursive: true, force: true });
  });
  const start = async () => {
    const host = new RecordingHost();
    const channel = new MatrixChannel({
      homeserverUrl: fake.baseUrl,
      accessToken: fake.accessToken,
      allowedInviters: [BEA],
      stateDir,
      assistantName: "Andy",
      logger: createLogger("silent"),
    });
    started.push(channel);
    await channel.start(host);
    await host.waitForCurrentStatus("connected");
    return { host, channel };
  };
  return { fake, start };
}

function bodies(host: RecordingHost): string[] {
  return host.messages.map((message) => message.text);
}

it("skips history on the first start and resumes from the stored token after a restart", async (t) => {
  const { fake, start } = await setup(t);
  const room = fake.createRoom({ name: "Bea", members: [BEA], botJoined: true });
  fake.post(room, BEA, "m.room.message", text("old history"));
  const first = await start();
  const live = fake.post(room, BEA, "m.room.message", text("live"));
  await first.host.waitForMessage((message) => message.messageId === live);
  await first.channel.stop();
  fake.post(room, BEA, "m.room.message", text("while down"));
  const second = await start();
  await second.host.waitForMessage((message) => message.text === "while down");
  const after = fake.post(room, BEA, "m.room.message", text("after restart"));
  await second.host.waitForMessage((message) => message.messageId === after);
  assert.deepEqual(bodies(first.host), ["live"]);
  assert.deepEqual(bodies(second.host), ["while down", "after restart"]);
});

it("keeps the token where it was when the store fails until the channel stops", async (t) => {
  const { fake, start } = await setup(t);
  const room = fake.createRoom({ name: "Bea", members: [BEA], botJoined: true });
  const first = await start();
  first.host.onReceive = () => Promise.reject(new Error("disk full"));
  fake.post(room, BEA, "m.room.message", text("must survive"));
  await first.host.waitForMessage((message) => message.text === "must survive");
  await first.channel.stop();
  const second = await start();
  await second.host.waitForMessage((message) => message.text === "must survive");
});

it("joins rooms only on an allowed user's invite", async (t) => {
  const { fake, start } = await setup(t);
  const { host } = await start();
  const stranger = fake.createRoom({ name: "Spam", members: ["@spam:evil.test"] });
  fake.inviteBot(stranger, "@spam:evil.test");
  const friend = fake.createRoom({ name: "Plans", members: [BEA] });
  fake.inviteBot(friend, BEA);
  await fake.waitForRequest((request) => request.path.includes("/join/"));
  assert.equal(fake.membership(friend, fake.botUserId), "join");
  assert.equal(fake.membership(stranger, fake.botUserId), "invite");
  const id = fake.post(friend, BEA, "m.room.message", text("hello in plans"));
  const message = await host.waitForMessage((m) => m.messageId === id);
  assert.equal(message.chatName, "Plans");
});

it("says in the state that an encrypted room cannot be read yet", async (t) => {
  const { fake, start } = await setup(t);
  const room = fake.createRoom({
    name: "Secret",
    members: [BEA],
    botJoined: true,
    encrypted: true,
  });
  const { host } = await start();
  fake.post(room, BEA, "m.room.encrypted", { algorithm: "m.megolm.v1.aes-sha2", ciphertext: "…" });
  const state = await host.waitFor("encrypted room note", () =>
    host.states.find(
      (s) =>
        s.status === "connected" &&
        /encrypted rooms it cannot read yet: Secret/.test(s.detail ?? ""),
    ),
  );
  assert.ok(state);
  assert.deepEqual(host.messages, []);
});

it("sends Markdown as Matrix HTML with a plain-text body", async (t) => {
  const { fake, start } = await setup(t);
  const room = fake.createRoom({ name: "Bea", members: [BEA], botJoined: true });
  const { channel } = await start();
  await channel.send(room, "**Done**\nsee [the notes](https://example.org/n)", {});
  const [event] = fake.sentByBot(room, "m.room.message");
  assert.deepEqual(event?.content, {
    msgtype: "m.text",
    body: "Done\nsee the notes (https://example.org/n)",
    format: "org.matrix.custom.html",
    formatted_body: '<b>Done</b><br>\nsee <a href="https://example.org/n">the notes</a>',
  });
});

it("takes its file limit from the homeserver's media config, when it gives one", async (t) => {
  const told = await setup(t, { uploadLimitBytes: 1024 * 1024 });
  assert.equal((await told.start()).channel.maxFileBytes, 1024 * 1024);
  // A server that answers neither endpoint: the known figure (file-limits.ts) applies.
  const silent = await setup(t);
  assert.equal((await silent.start()).channel.maxFileBytes, undefined);
});
