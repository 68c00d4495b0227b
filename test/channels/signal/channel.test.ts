// What the Signal adapter adds to the conformance cases: a daemon that is down is reported
// as such, attachments are read through getAttachment only when kept, and group chats are
// addressed by group id.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { it } from "node:test";
import { SignalChannel } from "../../../src/channels/signal/channel.ts";
import { createLogger } from "../../../src/log.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { startSignalFake } from "../../fakes/signal/server.ts";

const ACCOUNT = "+15550000001";
const BEA = { number: "+15550000002", uuid: "uuid-bea", name: "Bea" };

function channel(url: string) {
  return new SignalChannel({
    url,
    account: ACCOUNT,
    assistantName: "Andy",
    logger: createLogger("silent"),
  });
}

it("says when the daemon cannot be reached", async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const signal = channel(`http://127.0.0.1:${port}`);
  const host = new RecordingHost();
  t.after(() => signal.stop());
  await signal.start(host);
  const state = await host.waitForStatus("reconnecting");
  assert.match(
    state.detail ?? "",
    new RegExp(`cannot reach signal-cli at http://127\\.0\\.0\\.1:${port}`),
  );
});

it("downloads attachments through the daemon and answers groups by group id", async (t) => {
  const fake = await startSignalFake({ account: ACCOUNT });
  const signal = channel(fake.url);
  const host = new RecordingHost();
  t.after(async () => {
    await signal.stop();
    await fake.close();
  });
  await signal.start(host);
  await host.waitForCurrentStatus("connected");
  const group = { id: "R3JvdXA=", name: "Family" };
  const timestamp = fake.injectMessage({
    from: BEA,
    text: "the plan",
    group,
    attachments: [
      {
        contentType: "application/pdf",
        filename: "plan.pdf",
        bytes: new Uint8Array([37, 80, 68, 70]),
      },
    ],
  });
  const message = await host.waitForMessage((m) => m.messageId === `${timestamp}@${BEA.number}`);
  assert.equal(message.chatId, `group:${group.id}`);
  assert.equal(message.isGroup, true);
  assert.deepEqual(host.discoveredChats, [
    { chatId: `group:${group.id}`, name: "Family", isGroup: true },
  ]);
  const [file] = message.attachments ?? [];
  assert.equal(file?.fileName, "plan.pdf");
  assert.equal(
    fake.calls.filter((call) => call.method === "getAttachment").length,
    0,
    "not read before it is kept",
  );
  assert.deepEqual(await file?.download(), new Uint8Array([37, 80, 68, 70]));
  const call = fake.calls.find((c) => c.method === "getAttachment");
  assert.deepEqual(call?.params, { account: ACCOUNT, id: "att1.bin", groupId: group.id });

  const [id] = await signal.send(message.chatId, "Looks good.", {});
  assert.deepEqual(fake.sent.at(-1), {
    timestamp: Number(id!.split("@")[0]),
    groupId: group.id,
    message: "Looks good.",
    attachments: [],
  });
});

it("sends Markdown as plain text with Signal's text styles", async (t) => {
  const fake = await startSignalFake({ account: ACCOUNT });
  const signal = channel(fake.url);
  t.after(async () => {
    await signal.stop();
    await fake.close();
  });
  await signal.start(new RecordingHost());
  await signal.send(BEA.number, "**Done**: see `notes.md`", {});
  const call = fake.calls.find((c) => c.method === "send");
  assert.equal(call?.params.message, "Done: see notes.md");
  assert.deepEqual(call?.params.textStyle, ["0:4:BOLD", "10:8:MONOSPACE"]);
});
