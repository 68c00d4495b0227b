// LiveReplies with Delivery on a real SQLite store and an editing fake channel: the preview's
// row, its claim by the final reply, the final edit in place, and the clean-up of previews
// no final text claimed (at a turn's end, and at startup after a crash).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Channel, ChannelName, SendOptions } from "../../src/channels/channel.ts";
import { Delivery } from "../../src/core/delivery.ts";
import { DiskSpace } from "../../src/core/disk-space.ts";
import type { PacerClock } from "../../src/core/edit-pacer.ts";
import { LiveReplies, previewText, type LiveDelta } from "../../src/core/live-replies.ts";
import { createLogger } from "../../src/log.ts";
import type { Group } from "../../src/store/groups.ts";
import { getDelivery } from "../../src/store/outbox.ts";
import { claimPreview, insertPreview, setPreviewPlatformId } from "../../src/store/previews.ts";
import { addCrabsGroup, openTempStore } from "../helpers/store.ts";
import { deferred, waitFor } from "../helpers/wait.ts";

/** A chat platform that keeps each message's current text, and can hold a send. */
class EditingChannel implements Channel {
  readonly name: ChannelName = "telegram";
  readonly shown = new Map<string, string>();
  readonly log: string[] = [];
  holdSend: Promise<void> | undefined;
  private next = 1;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(_chatId: string, markdown: string, _options: SendOptions): Promise<string[]> {
    await this.holdSend;
    const id = `m${this.next++}`;
    this.shown.set(id, markdown);
    this.log.push(`send ${id}`);
    return [id];
  }
  async edit(_chatId: string, id: string, markdown: string): Promise<string[]> {
    if (!this.shown.has(id)) throw new Error(`no message ${id}`);
    this.shown.set(id, markdown);
    this.log.push(`edit ${id}`);
    return [id];
  }
  async deleteMessage(_chatId: string, id: string): Promise<void> {
    this.shown.delete(id);
    this.log.push(`delete ${id}`);
  }
}

/** Time passes at once: a paced edit waits only for the event loop. */
function instantClock(): PacerClock {
  let time = 0;
  return {
    now: () => time,
    after(ms, run) {
      const timer = setImmediate(() => {
        time += ms;
        run();
      });
      return () => clearImmediate(timer);
    },
  };
}

function setup(t: { after(fn: () => void): void }, channelName = "telegram") {
  const store = openTempStore();
  t.after(() => store.close());
  const channel = new EditingChannel();
  // The web chat's channel has no edit: its replies stream as deltas only.
  const web: Channel = {
    name: "web",
    start: async () => {},
    stop: async () => {},
    send: async () => ["w"],
  };
  const channels = new Map<string, Channel>([[channelName, channelName === "web" ? web : channel]]);
  const logger = createLogger("silent");
  const disk = new DiskSpace({ dir: store.dir, logger });
  const delivery = new Delivery({
    db: store.db,
    channels,
    logger,
    assistantName: "Andy",
    filesDir: store.dir,
  });
  t.after(() => delivery.stop());
  const deltas: LiveDelta[] = [];
  const live = new LiveReplies({
    db: store.db,
    channels,
    delivery,
    disk,
    logger,
    enabled: () => true,
    onDelta: (_groupId, delta) => deltas.push(delta),
    clock: instantClock(),
  });
  const group: Group = addCrabsGroup(store.db, { channel: channelName });
  const finalReply = (text: string) =>
    delivery.enqueue({
      channel: channelName,
      chatId: "42",
      text,
      turnThrough: 1,
      previewId: live.claim(group),
    });
  const rows = () =>
    (store.db.prepare("SELECT COUNT(*) AS n FROM previews").get() as { n: number }).n;
  return { store, channel, delivery, live, group, deltas, finalReply, rows };
}

const noThread = () => undefined;

test("the preview grows by edits and the final reply edits it in place; its row goes", async (t) => {
  const { channel, delivery, live, group, finalReply, rows } = setup(t);
  live.delta(group, "Hello", noThread);
  await waitFor(() => channel.shown.get("m1") === "Hello" || undefined, "the preview");
  live.delta(group, " there", noThread);
  await waitFor(() => channel.shown.get("m1") === "Hello there" || undefined, "an edit");
  finalReply("Hello there, crab.");
  await delivery.settled();
  assert.deepEqual([...channel.shown.entries()], [["m1", "Hello there, crab."]]);
  assert.equal(channel.log.filter((entry) => entry.startsWith("send")).length, 1);
  assert.equal(rows(), 0);
});

test("a final reply claimed while the preview's send is in flight waits, then edits it", async (t) => {
  const { store, channel, delivery, live, group, finalReply } = setup(t);
  const held = deferred();
  channel.holdSend = held.promise;
  live.delta(group, "Partial", noThread);
  const outboxId = finalReply("Partial and whole.");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(getDelivery(store.db, outboxId)?.status, "pending", "waits for the preview");
  held.resolve();
  await waitFor(() => channel.shown.get("m1") === "Partial and whole." || undefined, "the edit");
  await delivery.settled();
  assert.deepEqual([...channel.shown.values()], ["Partial and whole."], "one message, final text");
});

test("a preview no final text claims is deleted when the turn ends", async (t) => {
  const { channel, live, group, rows } = setup(t);
  live.status(group, "searching the web…", noThread);
  await waitFor(() => channel.shown.get("m1")?.includes("searching") || undefined, "the status");
  live.finish(group);
  await waitFor(() => rows() === 0 || undefined, "the row to go");
  assert.deepEqual([...channel.shown.keys()], []);
  assert.deepEqual(channel.log, ["send m1", "delete m1"]);
});

test("at startup, a preview with no pending final reply is deleted; a claimed one is edited", async (t) => {
  const { store, channel, delivery, live, rows } = setup(t);
  // What a crash left: a preview of a turn that never ended, and one whose final reply waits.
  channel.shown.set("old", "half a thought");
  channel.shown.set("kept", "almost");
  const orphan = insertPreview(store.db, "telegram", "42", 0);
  setPreviewPlatformId(store.db, orphan, "old");
  const claimed = insertPreview(store.db, "telegram", "42", 0);
  setPreviewPlatformId(store.db, claimed, "kept");
  delivery.stop();
  const before = new Delivery({
    db: store.db,
    channels: new Map(),
    logger: createLogger("silent"),
    assistantName: "Andy",
    filesDir: store.dir,
  });
  const outboxId = before.enqueue({ channel: "telegram", chatId: "42", text: "The answer." });
  before.stop();
  claimPreview(store.db, claimed, outboxId);

  const restarted = new Delivery({
    db: store.db,
    channels: new Map<string, Channel>([["telegram", channel]]),
    logger: createLogger("silent"),
    assistantName: "Andy",
    filesDir: store.dir,
  });
  t.after(() => restarted.stop());
  live.recover();
  restarted.resume();
  await waitFor(() => rows() === 0 || undefined, "both rows to go");
  await restarted.settled();
  assert.deepEqual([...channel.shown.entries()], [["kept", "The answer."]]);
});

test("the web chat gets deltas (a reset when an internal note starts) and no preview rows", async (t) => {
  const { live, group, deltas, rows } = setup(t, "web");
  live.delta(group, "Hi ", noThread);
  live.delta(group, "there <inter", noThread);
  live.delta(group, "nal>secret", noThread);
  assert.deepEqual(
    deltas.map(({ text, reset }) => ({ text, reset })),
    [
      { text: "Hi", reset: undefined },
      { text: " there <inter", reset: undefined },
      { text: undefined, reset: "Hi there" },
    ],
  );
  assert.equal(rows(), 0);
});

test("a preview shows the start of a long text and the status line under it", () => {
  assert.equal(previewText("Hello", undefined), "Hello");
  assert.equal(previewText("", "searching the web…"), "_searching the web…_");
  assert.equal(previewText("Hi", "reading a.pdf…"), "Hi\n\n_reading a.pdf…_");
  const long = previewText("x".repeat(5_000), undefined);
  assert.ok(long.length < 2_000 && long.endsWith(" …"));
});
