import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../../../src/log.ts";
import type { InboundEvent } from "../../../src/channels/channel.ts";
import { InboundQueue } from "../../../src/channels/kit/inbound-queue.ts";
import { RecordingHost } from "../../fakes/recording-host.ts";
import { deferred } from "../../helpers/wait.ts";

const logger = createLogger("silent");

function deletion(messageId: string): InboundEvent {
  return { type: "delete", chatId: "c", messageId };
}

describe("InboundQueue", () => {
  it("hands events over in push order even when a later translation finishes first", async () => {
    const host = new RecordingHost();
    const queue = new InboundQueue({ logger });
    queue.open(host);
    const slow = deferred<InboundEvent | null>();
    const first = queue.push(slow.promise);
    const second = queue.push(deletion("2"));
    slow.resolve(deletion("1"));
    assert.deepEqual(await Promise.all([first, second]), ["stored", "stored"]);
    assert.deepEqual(
      host.received.map((event) => (event.type === "delete" ? event.messageId : "?")),
      ["1", "2"],
    );
  });

  it("retries a failed store until it commits, and only then resolves", async () => {
    const host = new RecordingHost();
    let failures = 3;
    host.onReceive = async () => {
      if (failures-- > 0) throw new Error("database is locked");
    };
    const queue = new InboundQueue({ logger, retryBaseMs: 1, retryMaxMs: 2 });
    queue.open(host);
    assert.equal(await queue.push(deletion("1")), "stored");
    assert.equal(host.received.length, 4);
  });

  it("never drops: a store that keeps failing is retried until the queue closes", async () => {
    const host = new RecordingHost();
    host.onReceive = async () => {
      throw new Error("disk full");
    };
    const queue = new InboundQueue({ logger, retryBaseMs: 1, retryMaxMs: 1 });
    queue.open(host);
    const outcome = queue.push(deletion("1"));
    const after = queue.push(deletion("2"));
    while (host.received.length < 5) await new Promise((resolve) => setImmediate(resolve));
    await queue.close();
    assert.equal(await outcome, "stopped");
    assert.equal(await after, "stopped");
    assert.ok(host.received.every((event) => event.type === "delete" && event.messageId === "1"));
  });

  it("skips what translates to nothing or cannot be read, and goes on", async () => {
    const host = new RecordingHost();
    const queue = new InboundQueue({ logger });
    queue.open(host);
    assert.equal(await queue.push(null), "skipped");
    assert.equal(await queue.push(Promise.reject(new Error("bad protobuf"))), "skipped");
    assert.equal(await queue.push(deletion("3")), "stored");
    assert.equal(host.received.length, 1);
  });

  it("opens again after a close", async () => {
    const host = new RecordingHost();
    const queue = new InboundQueue({ logger });
    queue.open(host);
    await queue.close();
    assert.equal(await queue.push(deletion("1")), "stopped");
    queue.open(host);
    assert.equal(await queue.push(deletion("2")), "stored");
  });
});
