import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageMeter } from "../../src/agent/usage-meter.ts";
import { seededRandom } from "../helpers/random.ts";

function sse(events: { type: string }[]): string {
  return events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join("");
}

const STREAM = sse([
  {
    type: "message_start",
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [],
      usage: {
        input_tokens: 25,
        cache_read_input_tokens: 1200,
        cache_creation_input_tokens: 7,
        output_tokens: 1,
      },
    },
  } as { type: string },
  { type: "ping" },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } as {
    type: string;
  },
  {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "Grüße aus Köln 🦀\n\nzweite Zeile" },
  } as { type: string },
  { type: "content_block_stop", index: 0 } as { type: string },
  {
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: 15 },
  } as { type: string },
  { type: "message_stop" },
]);

const EXPECTED = {
  model: "claude-sonnet-4-5",
  inputTokens: 25,
  outputTokens: 15,
  cacheReadTokens: 1200,
  cacheWriteTokens: 7,
};

function feed(
  contentType: string,
  bytes: Buffer,
  cuts: number[],
): ReturnType<UsageMeter["finish"]> {
  const meter = new UsageMeter(contentType);
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    meter.push(bytes.subarray(start, cut));
    start = cut;
  }
  return meter.finish();
}

test("a streamed response in one chunk", () => {
  assert.deepEqual(feed("text/event-stream", Buffer.from(STREAM), []), EXPECTED);
});

test("a streamed response fed byte by byte, multi-byte characters split", () => {
  const bytes = Buffer.from(STREAM);
  const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(feed("text/event-stream; charset=utf-8", bytes, cuts), EXPECTED);
});

test("a streamed response cut at random places", () => {
  const random = seededRandom(42);
  const bytes = Buffer.from(STREAM);
  for (let run = 0; run < 200; run++) {
    const cuts = new Set<number>();
    for (let n = Math.floor(random() * 12); n > 0; n--)
      cuts.add(1 + Math.floor(random() * (bytes.length - 1)));
    const sorted = [...cuts].sort((a, b) => a - b);
    assert.deepEqual(
      feed("text/event-stream", bytes, sorted),
      EXPECTED,
      `cuts ${sorted.join(",")}`,
    );
  }
});

test("a plain JSON response, whole and in pieces", () => {
  const body = Buffer.from(
    JSON.stringify({
      id: "msg_2",
      type: "message",
      model: "claude-haiku-4-5",
      content: [{ type: "text", text: "Привет 👋" }],
      usage: { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 3 },
    }),
  );
  const expected = {
    model: "claude-haiku-4-5",
    inputTokens: 10,
    outputTokens: 4,
    cacheReadTokens: 3,
    cacheWriteTokens: 0,
  };
  assert.deepEqual(feed("application/json", body, []), expected);
  const everyByte = Array.from({ length: body.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(feed("application/json", body, everyByte), expected);
});

test("no usage in the response means no record", () => {
  const errorEvent = sse([
    { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } as {
      type: string;
    },
  ]);
  assert.equal(feed("text/event-stream", Buffer.from(errorEvent), []), undefined);
  assert.equal(feed("text/event-stream", Buffer.from(sse([{ type: "ping" }])), []), undefined);
  assert.equal(feed("text/event-stream", Buffer.from("data: {not json\n\n"), []), undefined);
  assert.equal(
    feed("application/json", Buffer.from('{"type":"message","content":[]}'), []),
    undefined,
  );
  assert.equal(feed("application/json", Buffer.from("<html>Bad gateway</html>"), []), undefined);
  assert.equal(feed("application/json", Buffer.alloc(0), []), undefined);
});

test("an event cut off before its closing blank line is not counted", () => {
  const meter = new UsageMeter("text/event-stream");
  const [head] = STREAM.split("event: message_delta");
  meter.push(Buffer.from(head!));
  meter.push(
    Buffer.from('event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}'),
  );
  assert.deepEqual(meter.finish(), { ...EXPECTED, outputTokens: 1 });
});

// A bug found in review, pinned by a test that failed before its fix.
test("the usage meter reads SSE framed with CRLF, even across chunks", () => {
  const meter = new UsageMeter("text/event-stream");
  const stream =
    'event: message_start\r\ndata: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":7}}}\r\n\r\n' +
    'event: message_delta\r\ndata: {"type":"message_delta","usage":{"output_tokens":3}}\r\n\r\n';
  const cut = stream.indexOf("\r\n\r\n") + 1;
  meter.push(Buffer.from(stream.slice(0, cut)));
  meter.push(Buffer.from(stream.slice(cut)));
  assert.deepEqual(meter.finish(), {
    model: "m",
    inputTokens: 7,
    outputTokens: 3,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  });
});
