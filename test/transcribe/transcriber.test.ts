// The transcriber against the loopback fake: the multipart upload, retries and their
// waits (seen through an injected sleep, so nothing here waits for real), caps, URL forms.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  Transcriber,
  transcriptionEndpoint,
  uploadName,
  type TranscriberOptions,
} from "../../src/transcribe/transcriber.ts";
import { requestedDelayMs } from "../../src/transcribe/backoff.ts";
import { backoffMs } from "../../src/time/backoff.ts";
import { startTranscribeFake, type TranscribeFake } from "../fakes/transcribe/server.ts";

const KEY = "sk-transcribe-test-0123456789";
const CLIP = {
  bytes: new TextEncoder().encode("OggS pretend opus"),
  fileName: "voice-AgAD.ogg",
  mimeType: "audio/ogg",
  durationSeconds: 7,
};

describe("transcriptionEndpoint", () => {
  it("takes the API base or the full endpoint", () => {
    const cases: [string, string][] = [
      ["https://api.openai.com/v1", "https://api.openai.com/v1/audio/transcriptions"],
      ["https://api.openai.com/v1/", "https://api.openai.com/v1/audio/transcriptions"],
      ["https://api.groq.com/openai/v1", "https://api.groq.com/openai/v1/audio/transcriptions"],
      [
        "https://api.openai.com/v1/audio/transcriptions",
        "https://api.openai.com/v1/audio/transcriptions",
      ],
      ["http://whisper.lan:8000", "http://whisper.lan:8000/v1/audio/transcriptions"],
      [
        "https://gw.example/openai/audio/transcriptions?api-version=2024-06-01",
        "https://gw.example/openai/audio/transcriptions?api-version=2024-06-01",
      ],
      ["https://gw.example/v1?tenant=a", "https://gw.example/v1/audio/transcriptions?tenant=a"],
    ];
    for (const [input, expected] of cases) assert.equal(transcriptionEndpoint(input), expected);
  });
});

describe("uploadName", () => {
  it("keeps a name OpenAI can decode and otherwise derives the extension from the type", () => {
    assert.equal(uploadName({ fileName: "voice-1.ogg", mimeType: "audio/ogg" }), "voice-1.ogg");
    assert.equal(
      uploadName({ fileName: "voice.opus", mimeType: "audio/ogg; codecs=opus" }),
      "voice.ogg",
    );
    assert.equal(uploadName({ fileName: "recording", mimeType: "audio/webm" }), "recording.webm");
    assert.equal(uploadName({ fileName: "clip.bin", mimeType: undefined }), "clip.bin");
  });
});

describe("backoff", () => {
  it("doubles up to the ceiling", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, 1000, 5000)),
      [1000, 2000, 4000, 5000, 5000],
    );
  });

  it("reads Retry-After as seconds or a date, and prefers retry-after-ms", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    assert.equal(requestedDelayMs(new Headers({ "retry-after": "3" }), now), 3000);
    assert.equal(
      requestedDelayMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT" }), now),
      5000,
    );
    assert.equal(
      requestedDelayMs(new Headers({ "retry-after": "3", "retry-after-ms": "250" }), now),
      250,
    );
    assert.equal(requestedDelayMs(new Headers({ "retry-after": "soon" }), now), undefined);
    assert.equal(requestedDelayMs(new Headers(), now), undefined);
  });
});

describe("Transcriber", () => {
  let fake: TranscribeFake;
  let sleeps: number[];

  before(async () => {
    fake = await startTranscribeFake({ apiKey: KEY });
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.uploads.length = 0;
    fake.setResponder(() => "please water the plants");
    sleeps = [];
  });

  function transcriber(options: Partial<TranscriberOptions> = {}): Transcriber {
    return new Transcriber({
      url: fake.url,
      apiKey: KEY,
      backoffBaseMs: 1000,
      backoffMaxMs: 4000,
      sleep: async (ms) => void sleeps.push(ms),
      ...options,
    });
  }

  it("uploads the clip as multipart with the model and gets the text", async () => {
    const result = await transcriber({ model: "whisper-large-v3" }).transcribe(CLIP);
    assert.deepEqual(result, { ok: true, text: "please water the plants", attempts: 1 });
    const [upload] = fake.uploads;
    assert.ok(upload);
    assert.equal(upload.path, "/v1/audio/transcriptions");
    assert.equal(upload.authorization, `Bearer ${KEY}`);
    assert.equal(upload.model, "whisper-large-v3");
    assert.equal(upload.responseFormat, "json");
    assert.equal(upload.fileName, "voice-AgAD.ogg");
    assert.equal(upload.mimeType, "audio/ogg");
    assert.deepEqual(upload.bytes, CLIP.bytes);
  });

  it("retries 500 with backoff and returns the one transcript", async () => {
    fake.enqueue({ status: 500 }, { status: 503 });
    const result = await transcriber().transcribe(CLIP);
    assert.deepEqual(result, { ok: true, text: "please water the plants", attempts: 3 });
    assert.equal(fake.uploads.length, 3);
    assert.deepEqual(sleeps, [1000, 2000]);
  });

  it("waits as long as a 429's Retry-After says", async () => {
    fake.enqueue({ status: 429, headers: { "retry-after": "2" } });
    const result = await transcriber().transcribe(CLIP);
    assert.equal(result.ok, true);
    assert.deepEqual(sleeps, [2000]);
  });

  it("gives up after the last attempt, with backoff capped", async () => {
    fake.enqueue(...Array.from({ length: 5 }, () => ({ status: 502 })));
    const result = await transcriber({ maxAttempts: 5 }).transcribe(CLIP);
    assert.equal(result.ok, false);
    assert.equal(fake.uploads.length, 5);
    assert.deepEqual(sleeps, [1000, 2000, 4000, 4000]);
    if (result.ok) return;
    assert.equal(result.reason, "the transcription service failed (HTTP 502)");
    assert.match(result.detail, /HTTP 502: The fake answered 502\. \(attempt 5 of 5\)/);
  });

  it("does not wait for a Retry-After longer than it allows", async () => {
    fake.enqueue({ status: 429, headers: { "retry-after": "3600" } });
    const result = await transcriber().transcribe(CLIP);
    assert.equal(result.ok, false);
    assert.equal(fake.uploads.length, 1);
    assert.deepEqual(sleeps, []);
    if (!result.ok) assert.match(result.detail, /retry after 3600 s/);
  });

  it("does not retry a refusal and says what the server said", async () => {
    const result = await transcriber({ apiKey: "sk-wrong-key-000000" }).transcribe(CLIP);
    assert.equal(result.ok, false);
    assert.equal(fake.uploads.length, 0, "refused before the upload was parsed");
    if (result.ok) return;
    assert.equal(result.attempts, 1);
    assert.equal(result.reason, "the transcription service rejected the credentials (HTTP 401)");
    assert.match(result.detail, /Incorrect API key provided/);
  });

  it("refuses an over-long or oversized clip without sending it", async () => {
    const requestsBefore = fake.requestCount;
    const long = await transcriber({ maxSeconds: 600 }).transcribe({
      ...CLIP,
      durationSeconds: 601,
    });
    assert.deepEqual(long, {
      ok: false,
      reason: "it is 10:01 long, over the 10:00 limit for transcription",
      detail: "it is 10:01 long, over the 10:00 limit for transcription",
      attempts: 0,
    });
    const big = await transcriber({ maxBytes: 10 }).transcribe(CLIP);
    assert.equal(big.ok, false);
    if (!big.ok) assert.match(big.reason, /MB limit for transcription/);
    assert.equal(fake.requestCount, requestsBefore);
  });

  it("times out a request that gets no answer, and does not repeat it", async () => {
    fake.enqueue({ delayMs: 120_000 });
    const result = await transcriber({ timeoutMs: 300 }).transcribe(CLIP);
    assert.equal(result.ok, false);
    if (!result.ok)
      assert.equal(result.reason, "the transcription service did not answer within 0.3 s");
    assert.equal(fake.uploads.length, 1);
  });

  it("accepts a plain-text answer and reports an answer without a transcript", async () => {
    fake.enqueue({ body: "  plain words \n" }, { body: { task: "transcribe" } });
    assert.deepEqual(await transcriber().transcribe(CLIP), {
      ok: true,
      text: "plain words",
      attempts: 1,
    });
    const odd = await transcriber().transcribe(CLIP);
    assert.equal(odd.ok, false);
    if (!odd.ok)
      assert.equal(odd.reason, "the transcription service answered without a transcript");
  });

  it("retries an endpoint that cannot be reached, then reports it", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await transcriber({
      url: `http://127.0.0.1:${port}/v1`,
      maxAttempts: 3,
    }).transcribe(CLIP);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.attempts, 3);
    assert.equal(result.reason, "the transcription service could not be reached");
    assert.match(result.detail, /ECONNREFUSED/);
  });

  it("rejects when its signal aborts while it waits to retry", async () => {
    const controller = new AbortController();
    fake.enqueue({ status: 500 });
    const waiting = transcriber({
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener("abort", () => reject(signal.reason as Error));
          controller.abort(new Error("stopping"));
        }),
    }).transcribe(CLIP, controller.signal);
    await assert.rejects(waiting, /stopping/);
  });

  it("verifies the endpoint with a one-second WAV clip", async () => {
    fake.setResponder((upload) => `heard ${upload.bytes.byteLength} bytes`);
    const check = await transcriber().verify();
    assert.equal(check.ok, true);
    const [upload] = fake.uploads;
    assert.equal(upload?.fileName, "pincer-check.wav");
    assert.equal(upload?.mimeType, "audio/wav");
    const header = new TextDecoder().decode(upload?.bytes.slice(0, 4));
    assert.equal(header, "RIFF");
    assert.equal(upload?.bytes.byteLength, 44 + 16_000 * 2);
    if (check.ok) assert.equal(check.text, `heard ${44 + 32_000} bytes`);
  });

  it("reports a failed verification with the server's message", async () => {
    const check = await transcriber({ apiKey: undefined }).verify();
    assert.equal(check.ok, false);
    if (check.ok) return;
    assert.equal(check.endpoint, `${fake.url}/audio/transcriptions`);
    assert.match(check.detail, /HTTP 401: Incorrect API key provided/);
  });
});
