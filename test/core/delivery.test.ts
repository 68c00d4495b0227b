import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  TransientSendError,
  type Channel,
  type ChannelName,
  type OutboundFile,
  type SendFileOptions,
  type SendOptions,
} from "../../src/channels/channel.ts";
import { Delivery, type DeliveryOptions } from "../../src/core/delivery.ts";
import { createLogger } from "../../src/log.ts";
import { getMessage, insertOutbound } from "../../src/store/messages.ts";
import { enqueueDelivery, getDelivery, type OutboxItem } from "../../src/store/outbox.ts";
import { getOutboundFile } from "../../src/store/outbound-files.ts";
import { fillDiskOnWrites, openTempStore } from "../helpers/store.ts";
import { deferred, waitFor } from "../helpers/wait.ts";

interface SendCall {
  chatId: string;
  text: string;
  options: SendOptions;
  at: number;
}

/** A channel whose sends succeed unless the test's plan throws for that call. */
class FakeChannel implements Channel {
  readonly name: ChannelName;
  readonly calls: SendCall[] = [];
  plan: (call: SendCall, attempt: number) => void = () => {};
  private nextId = 1;

  constructor(name: ChannelName = "web") {
    this.name = name;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async send(chatId: string, markdown: string, options: SendOptions): Promise<string[]> {
    const call = { chatId, text: markdown, options, at: Date.now() };
    this.calls.push(call);
    const attempt = this.calls.filter((c) => c.chatId === chatId && c.text === markdown).length;
    this.plan(call, attempt);
    return [`p${this.nextId++}`];
  }
}

const silent = createLogger("silent");

function setup(t: { after(fn: () => void): void }, options: Partial<DeliveryOptions> = {}) {
  const store = openTempStore();
  const channel = new FakeChannel();
  const channels = new Map<string, Channel>([["web", channel]]);
  const deliveries: Delivery[] = [];
  const make = (extra: Partial<DeliveryOptions> = {}) => {
    const delivery = new Delivery({
      db: store.db,
      channels,
      logger: silent,
      assistantName: "Andy",
      filesDir: join(store.dir, "outbound-files"),
      baseDelayMs: 5,
      ...options,
      ...extra,
    });
    deliveries.push(delivery);
    return delivery;
  };
  t.after(() => {
    for (const delivery of deliveries) delivery.stop();
    store.close();
  });
  return { store, db: store.db, channel, channels, make };
}

/** Resolves with the first `count` items the delivery reports for `event`. */
function collect(
  delivery: Delivery,
  event: "delivered" | "failed",
  count: number,
): Promise<OutboxItem[]> {
  const items: OutboxItem[] = [];
  const done = deferred<OutboxItem[]>();
  delivery.on(event, (item) => {
    items.push(item);
    if (items.length === count) done.resolve(items);
  });
  return done.promise;
}

test(
  "replies are sent, stamped with platform ids and marked sent",
  { timeout: 20_000 },
  async (t) => {
    const { db, channel, make } = setup(t);
    const delivery = make();
    const delivered = collect(delivery, "delivered", 1);
    const id = delivery.enqueue({
      channel: "web",
      chatId: "c1",
      threadId: "th",
      text: "Hello",
      turnThrough: 3,
    });
    const [item] = await delivered;
    assert.equal(item!.id, id);
    assert.equal(item!.status, "sent");
    assert.deepEqual(
      channel.calls.map((c) => [c.chatId, c.text, c.options]),
      [["c1", "Hello", { threadId: "th" }]],
    );
    const row = getDelivery(db, id)!;
    assert.equal(row.status, "sent");
    assert.equal(row.attempts, 1);
    const message = getMessage(db, row.messageId)!;
    assert.equal(message.platformId, "p1");
    assert.equal(message.senderName, "Andy");
    assert.equal(message.turnThrough, 3);
  },
);

test(
  "a chat's replies stay in order when the first one has to be retried",
  { timeout: 20_000 },
  async (t) => {
    const { db, channel, make } = setup(t);
    channel.plan = (call, attempt) => {
      if (call.text === "first" && attempt <= 2) throw new TransientSendError("502 from platform");
    };
    const delivery = make();
    const delivered = collect(delivery, "delivered", 3);
    const ids = ["first", "second", "third"].map((text) =>
      delivery.enqueue({ channel: "web", chatId: "c1", text }),
    );
    assert.deepEqual(
      (await delivered).map((item) => item.id),
      ids,
    );
    assert.deepEqual(
      channel.calls.map((c) => c.text),
      ["first", "first", "first", "second", "third"],
    );
    assert.equal(getDelivery(db, ids[0]!)!.attempts, 3);
    assert.equal(getDelivery(db, ids[1]!)!.attempts, 1);
  },
);

test("a chat waiting for a retry does not hold up other chats", { timeout: 20_000 }, async (t) => {
  const { db, channel, make } = setup(t);
  channel.plan = (call) => {
    if (call.chatId === "slow") throw new TransientSendError("rate limited", 3_600_000);
  };
  const delivery = make();
  const delivered = collect(delivery, "delivered", 1);
  const slow = delivery.enqueue({ channel: "web", chatId: "slow", text: "a" });
  const fast = delivery.enqueue({ channel: "web", chatId: "fast", text: "b" });
  assert.equal((await delivered)[0]!.id, fast);
  assert.equal(getDelivery(db, slow)!.status, "pending");
});

test(
  "retryAfterMs from the platform wins over a shorter backoff",
  { timeout: 20_000 },
  async (t) => {
    const { db, channel, make } = setup(t);
    const retryAfterMs = 300;
    let failedAt = 0;
    let scheduledFor = 0;
    channel.plan = (call, attempt) => {
      if (attempt === 1) {
        failedAt = call.at;
        throw new TransientSendError("429 Too Many Requests", retryAfterMs);
      }
      scheduledFor = getDelivery(db, id)!.nextAttemptAt;
    };
    const delivery = make({ baseDelayMs: 1 });
    const delivered = collect(delivery, "delivered", 1);
    const id = delivery.enqueue({ channel: "web", chatId: "c1", text: "hi" });
    await delivered;
    assert.equal(channel.calls.length, 2);
    // The backoff alone would be at most 1.2 ms; the retry was booked for the platform's time.
    assert.ok(
      scheduledFor - failedAt >= retryAfterMs,
      `retry booked ${scheduledFor - failedAt} ms later`,
    );
    assert.ok(channel.calls[1]!.at >= scheduledFor - 5, "retried before the booked time");
    assert.equal(getDelivery(db, id)!.lastError, null);
  },
);

test("a permanent error fails the reply at once, visibly", { timeout: 20_000 }, async (t) => {
  const { db, channel, make } = setup(t);
  channel.plan = () => {
    throw new Error("400 Bad Request: chat not found");
  };
  const delivery = make();
  const failed = collect(delivery, "failed", 1);
  const id = delivery.enqueue({ channel: "web", chatId: "gone", text: "hi" });
  const [item] = await failed;
  assert.equal(item!.id, id);
  assert.equal(item!.status, "failed");
  assert.equal(item!.lastError, "400 Bad Request: chat not found");
  assert.equal(channel.calls.length, 1);
  const row = getDelivery(db, id)!;
  assert.equal(row.status, "failed");
  assert.equal(row.attempts, 1);
  assert.equal(row.lastError, "400 Bad Request: chat not found");
});

test(
  "a reply that keeps failing transiently fails after maxAttempts",
  { timeout: 20_000 },
  async (t) => {
    const { db, channel, make } = setup(t);
    channel.plan = () => {
      throw new TransientSendError("socket hang up");
    };
    const delivery = make({ maxAttempts: 4, baseDelayMs: 1 });
    const failed = collect(delivery, "failed", 1);
    const id = delivery.enqueue({ channel: "web", chatId: "c1", text: "hi" });
    const [item] = await failed;
    assert.equal(item!.id, id);
    assert.equal(channel.calls.length, 4);
    const row = getDelivery(db, id)!;
    assert.equal(row.status, "failed");
    assert.equal(row.attempts, 4);
    assert.equal(row.lastError, "socket hang up");
  },
);

test(
  "resume() sends what a previous process left pending, in order",
  { timeout: 20_000 },
  async (t) => {
    const { db, channel, make } = setup(t);
    // What a process that died before sending leaves behind: replies and pending outbox rows.
    const ids = ["one", "two"].map((text, i) => {
      const messageId = insertOutbound(db, {
        channel: "web",
        chatId: "c1",
        senderName: "Andy",
        text,
        timestamp: i,
      });
      return enqueueDelivery(db, { messageId, channel: "web", chatId: "c1" }, Date.now());
    });
    const delivery = make();
    const delivered = collect(delivery, "delivered", 2);
    delivery.resume();
    assert.deepEqual(
      (await delivered).map((item) => item.id),
      ids,
    );
    assert.deepEqual(
      channel.calls.map((c) => c.text),
      ["one", "two"],
    );
  },
);

test(
  "a missing channel is transient: the reply waits and goes once the channel is back",
  { timeout: 20_000 },
  async (t) => {
    const { db, channel, channels, make } = setup(t);
    channels.delete("web");
    const retrying = deferred();
    const lines: string[] = [];
    const logger = createLogger("warn", {
      write(line: string) {
        lines.push(line);
        if (line.includes("will retry")) retrying.resolve();
      },
    });
    const first = make({ logger, baseDelayMs: 20 });
    const id = first.enqueue({ channel: "web", chatId: "c1", text: "hello" });
    await retrying.promise;
    const row = getDelivery(db, id)!;
    assert.equal(row.status, "pending");
    assert.equal(row.attempts, 1);
    assert.equal(row.lastError, "channel web is not running");
    assert.equal(channel.calls.length, 0);

    // The process stops; the next one has the channel running and resumes the outbox.
    first.stop();
    channels.set("web", channel);
    const second = make();
    const delivered = collect(second, "delivered", 1);
    second.resume();
    assert.equal((await delivered)[0]!.id, id);
    assert.equal(getDelivery(db, id)!.status, "sent");
    assert.equal(getDelivery(db, id)!.attempts, 2);
    assert.deepEqual(
      channel.calls.map((c) => c.text),
      ["hello"],
    );
  },
);

test("drain sends what is ready and leaves a reply that waits out Retry-After for the next start", async (t) => {
  const { db, channel, make } = setup(t);
  channel.plan = (call) => {
    if (call.chatId === "slow") throw new TransientSendError("rate limited", 600_000);
  };
  const delivery = make();
  const failedOnce = new Promise<void>((resolve) => {
    const original = channel.plan;
    channel.plan = (call, attempt) => {
      if (call.chatId === "slow") queueMicrotask(resolve);
      original(call, attempt);
    };
  });
  const waiting = delivery.enqueue({ channel: "web", chatId: "slow", text: "later" });
  await failedOnce;
  const ready = delivery.enqueue({ channel: "web", chatId: "fast", text: "now" });
  // Without drain the retry would hold shutdown for ten minutes and the test would time out.
  await delivery.drain();
  assert.equal(getDelivery(db, ready)!.status, "sent");
  const left = getDelivery(db, waiting)!;
  assert.equal(left.status, "pending");
  assert.equal(left.attempts, 1);
  assert.ok(left.nextAttemptAt > Date.now(), "due after the platform's Retry-After");
});

test(
  "a sent reply whose record cannot be written on a full disk is recorded once there is room, not sent twice",
  { timeout: 20_000 },
  async (t) => {
    const { db, channel, make } = setup(t);
    const delivery = make();
    const delivered = collect(delivery, "delivered", 2);
    const first = delivery.enqueue({ channel: "web", chatId: "c1", text: "first" });
    const second = delivery.enqueue({ channel: "web", chatId: "c1", text: "second" });
    // Before the first send starts (it waits for the next turn of the event loop).
    const disk = fillDiskOnWrites(db, "outbox");
    await waitFor(() => channel.calls.length === 1, "the first send");
    assert.equal(getDelivery(db, first)!.status, "pending", "not recorded while the disk is full");
    disk.free();
    assert.deepEqual(
      (await delivered).map((item) => item.id),
      [first, second],
    );
    assert.deepEqual(
      channel.calls.map((c) => c.text),
      ["first", "second"],
    );
    assert.equal(getDelivery(db, first)!.status, "sent");
  },
);

// A bug found in review, pinned by a test that failed before its fix.
test("a throwing 'delivered' listener does not turn a sent message into a failed one", async (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  const channel: Channel = {
    name: "telegram",
    start: async () => undefined,
    stop: async () => undefined,
    send: async () => ["1"],
  };
  const delivery = new Delivery({
    db: store.db,
    channels: new Map([["telegram", channel]]),
    logger: silent,
    assistantName: "Andy",
    filesDir: join(store.dir, "outbound-files"),
  });
  delivery.on("delivered", () => {
    throw new Error("listener bug");
  });
  const id = delivery.enqueue({ channel: "telegram", chatId: "c", text: "hello" });
  await delivery.settled().catch(() => undefined);
  assert.equal(getDelivery(store.db, id)?.status, "sent");
});

/** A platform that takes files: records each with the bytes it read from the copy. */
function fileChannel(plan: (attempt: number) => void = () => {}) {
  const sent: { chatId: string; file: OutboundFile; bytes: string; options: SendFileOptions }[] =
    [];
  let attempts = 0;
  const channel: Channel = {
    name: "telegram",
    start: async () => undefined,
    stop: async () => undefined,
    send: async () => ["t"],
    sendFile: async (chatId, file, options) => {
      plan(++attempts);
      sent.push({ chatId, file, bytes: readFileSync(file.path, "utf8"), options });
      return [`f${sent.length}`];
    },
  };
  return { channel, sent };
}

/** A file as send_file leaves it: copied into the outbound files folder. */
function copiedFile(filesDir: string, bytes = "%PDF report") {
  mkdirSync(filesDir, { recursive: true });
  const stored = `copy-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(filesDir, stored), bytes);
  return { name: "report.pdf", mimeType: "application/pdf", size: bytes.length, stored };
}

test(
  "a file goes out once through sendFile with its caption, and its copy is removed",
  { timeout: 20_000 },
  async (t) => {
    const { db, channels, make, store } = setup(t);
    const { channel, sent } = fileChannel((attempt) => {
      if (attempt === 1) throw new TransientSendError("502 from platform");
    });
    channels.set("telegram", channel);
    const filesDir = join(store.dir, "outbound-files");
    const delivery = make();
    const delivered = collect(delivery, "delivered", 1);
    const file = copiedFile(filesDir);
    const id = delivery.enqueue({
      channel: "telegram",
      chatId: "42",
      threadId: "7",
      text: "Here it is",
      file,
    });
    const [item] = await delivered;
    assert.equal(item!.file?.name, "report.pdf");
    assert.equal(sent.length, 1, "sent exactly once after the retry");
    assert.deepEqual(sent[0]!.options, { threadId: "7", caption: "Here it is" });
    assert.deepEqual(
      { ...sent[0]!.file, path: undefined },
      { name: "report.pdf", mimeType: "application/pdf", size: 11, path: undefined },
    );
    assert.equal(sent[0]!.bytes, "%PDF report");
    const row = getDelivery(db, id)!;
    assert.equal(row.status, "sent");
    assert.equal(row.attempts, 2);
    assert.equal(getMessage(db, row.messageId)!.platformId, "f1");
    assert.equal(existsSync(join(filesDir, file.stored)), false, "the copy is removed once sent");
    const kept = getOutboundFile(db, row.messageId)!;
    assert.equal(typeof kept.removedAt, "number", "and its row says so");
    assert.equal(kept.name, "report.pdf", "the row stays for the history");
  },
);

test("the web chat's file copy is kept: the page downloads it", { timeout: 20_000 }, async (t) => {
  const { db, channels, make, store } = setup(t);
  const web: Channel = { ...fileChannel().channel, name: "web", servesFiles: true };
  channels.set("web", web);
  const filesDir = join(store.dir, "outbound-files");
  const delivery = make();
  const delivered = collect(delivery, "delivered", 1);
  const file = copiedFile(filesDir);
  const id = delivery.enqueue({ channel: "web", chatId: "main", text: "", file });
  await delivered;
  assert.equal(readFileSync(join(filesDir, file.stored), "utf8"), "%PDF report");
  assert.equal(getOutboundFile(db, getDelivery(db, id)!.messageId)?.removedAt, null);
});

test(
  "a file to a channel that cannot send files fails visibly, naming why",
  { timeout: 20_000 },
  async (t) => {
    const { db, channels, make, store } = setup(t);
    const textOnly: Channel = {
      name: "signal",
      start: async () => undefined,
      stop: async () => undefined,
      send: async () => ["s"],
    };
    channels.set("signal", textOnly);
    const filesDir = join(store.dir, "outbound-files");
    const delivery = make();
    const failed = collect(delivery, "failed", 1);
    const file = copiedFile(filesDir);
    const id = delivery.enqueue({ channel: "signal", chatId: "+1", text: "", file });
    const [item] = await failed;
    assert.equal(item!.lastError, "signal cannot send files");
    assert.equal(getDelivery(db, id)!.status, "failed");
    assert.equal(existsSync(join(filesDir, file.stored)), false, "the copy is removed");
    assert.equal(typeof getOutboundFile(db, item!.messageId)?.removedAt, "number");
  },
);

test(
  "a file left pending by a previous process is sent once after a restart",
  { timeout: 20_000 },
  async (t) => {
    const { db, channels, make, store } = setup(t);
    const { channel, sent } = fileChannel();
    const filesDir = join(store.dir, "outbound-files");
    const first = make();
    first.stop();
    // Enqueued by a process that stopped before sending: the row and the copy are there.
    const id = first.enqueue({
      channel: "telegram",
      chatId: "42",
      text: "",
      file: copiedFile(filesDir),
    });
    assert.equal(getDelivery(db, id)!.status, "pending");
    channels.set("telegram", channel);
    const second = make();
    const delivered = collect(second, "delivered", 1);
    second.resume();
    await delivered;
    await second.settled();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.bytes, "%PDF report");
    assert.deepEqual(sent[0]!.options, {}, "no caption when none was given");
  },
);

test("a chat's reaction and typing changes start after its queued replies, in order, and a held one holds up nothing", async (t) => {
  const { channel, make } = setup(t);
  const delivery = make();
  const started: string[] = [];
  const held = deferred();
  t.after(() => held.resolve());
  // A change the platform never answers (a long 429): it must block neither replies nor changes.
  const change =
    (name: string, hold = false) =>
    async () => {
      started.push(`${name} after ${channel.calls.length} sends`);
      if (hold) await held.promise;
    };
  // Asked for before the reply was queued, still pending when it was: the reply goes first.
  delivery.afterReplies("web", "c1", change("👀", true));
  delivery.enqueue({ channel: "web", chatId: "c1", text: "answer" });
  delivery.afterReplies("web", "c1", change("✅"));
  delivery.afterReplies("web", "c1", change("typing off"));
  await waitFor(() => started.length === 3, "every change to start");
  assert.deepEqual(started, ["👀 after 1 sends", "✅ after 1 sends", "typing off after 1 sends"]);
  delivery.enqueue({ channel: "web", chatId: "c1", text: "next answer" });
  await waitFor(() => channel.calls.length === 2, "the next reply, with 👀 still held");
});
