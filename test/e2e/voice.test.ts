// Voice notes end to end: the service as a process, a Telegram voice note through grammY and
// the loopback Bot API, the host uploading it to the loopback transcription fake, and the
// real Agent SDK and Claude Code CLI against the fake model. Assertions are on what the
// model was asked, what the transcription fake received and what the chat got back.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Message } from "grammy/types";
import {
  echoResponder,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import {
  startTelegramFake,
  type InjectedUser,
  type TelegramFake,
} from "../fakes/telegram/server.ts";
import { startTranscribeFake, type TranscribeFake } from "../fakes/transcribe/server.ts";
import { removeDir, startService, tempDir, waitFor, type Service } from "./harness.ts";

const API_KEY = "sk-ant-e2e-voice-0000";
const TRANSCRIBE_KEY = "sk-transcribe-e2e-voice-0000";
const OWNER: InjectedUser = { id: 1001, first_name: "Olivia", username: "olivia" };
/** Agent turns include a Claude Code process start; the machine may be slow. */
const REPLY_TIMEOUT = 90_000;
const MARKED = "transcribed automatically — may contain errors";

/** What the fake "hears" in each recording; a recording's bytes are its name. */
const RECORDINGS: Record<string, string> = {
  "rec-zucchini": "please water the zucchini tonight",
  "rec-pumpkin": "how big is the pumpkin now",
};

const recording = (name: string) => new TextEncoder().encode(name);

function promptsWith(model: AnthropicFake, marker: string): string[] {
  return model
    .mainRequests()
    .map((request) => lastUserText(request.body))
    .filter((text) => text.includes(marker));
}

function waitForBotMessage(telegram: TelegramFake, pattern: RegExp): Promise<Message> {
  return waitFor(
    () =>
      telegram.sent.find(
        (message) => message.chat.id === OWNER.id && pattern.test(message.text ?? ""),
      ),
    `a bot message matching ${pattern}`,
    REPLY_TIMEOUT,
  );
}

async function startVoiceService(
  dataDir: string,
  model: AnthropicFake,
  telegram: TelegramFake,
  transcription: Record<string, string>,
): Promise<Service> {
  const service = await startService({
    dataDir,
    env: {
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: model.url,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      MAIN_CHAT: `telegram:${OWNER.id}`,
      ...transcription,
    },
  });
  await waitFor(async () => {
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
      channels: Record<string, string>;
    };
    return ready.channels.telegram === "connected" || undefined;
  }, "telegram connected");
  return service;
}

describe("voice notes with transcription", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let transcribe: TranscribeFake;
  let service: Service;

  const uploadsOf = (name: string) =>
    transcribe.uploads.filter((upload) => new TextDecoder().decode(upload.bytes) === name);

  before(async () => {
    model = await startAnthropicFake(echoResponder);
    telegram = await startTelegramFake({ botUsername: "pincer_voice_bot" });
    transcribe = await startTranscribeFake({
      apiKey: TRANSCRIBE_KEY,
      responder: (upload) => RECORDINGS[new TextDecoder().decode(upload.bytes)] ?? "(unknown)",
    });
    service = await startVoiceService(dataDir, model, telegram, {
      TRANSCRIBE_URL: transcribe.url,
      TRANSCRIBE_API_KEY: TRANSCRIBE_KEY,
      TRANSCRIBE_MAX_SECONDS: "300",
    });
  });
  after(async () => {
    await service?.stop();
    await telegram?.close();
    await transcribe?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("hands the agent the transcript as the sender's words, and keeps it searchable", async () => {
    telegram.injectMessage({
      chatId: OWNER.id,
      from: OWNER,
      voice: { bytes: recording("rec-zucchini"), duration: 42 },
    });
    await waitForBotMessage(telegram, /zucchini/);
    const [prompt, ...others] = promptsWith(model, "zucchini");
    assert.equal(others.length, 0);
    assert.match(
      prompt!,
      new RegExp(
        `<message from="Olivia" [^>]*>\\[voice note, 0:42, ${MARKED}\\] please water the zucchini tonight\\n<attachment kind="audio" path="attachments/`,
      ),
    );

    const [upload] = uploadsOf("rec-zucchini");
    assert.equal(upload?.authorization, `Bearer ${TRANSCRIBE_KEY}`);
    assert.equal(upload?.model, "whisper-1");
    assert.match(upload?.fileName ?? "", /\.ogg$/);
    assert.ok(
      !JSON.stringify(model.requests).includes(TRANSCRIBE_KEY),
      "the transcription key never reaches the agent",
    );

    const db = new DatabaseSync(join(dataDir, "store", "pincer.db"), { readOnly: true });
    try {
      const found = db
        .prepare(
          "SELECT m.text FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH 'zucchini' AND m.direction = 'in'",
        )
        .all() as { text: string }[];
      assert.deepEqual(
        found.map((row) => row.text),
        [`[voice note, 0:42, ${MARKED}] please water the zucchini tonight`],
      );
    } finally {
      db.close();
    }
  });

  it("retries a failing endpoint and answers once with the one transcript", async () => {
    transcribe.enqueue({ status: 500 }, { status: 500 });
    telegram.injectMessage({
      chatId: OWNER.id,
      from: OWNER,
      voice: { bytes: recording("rec-pumpkin"), duration: 5 },
    });
    await waitForBotMessage(telegram, /pumpkin/);
    assert.equal(uploadsOf("rec-pumpkin").length, 3, "two failures, then success");

    // A later turn in the same chat: a duplicate turn for the note would have come first.
    telegram.injectMessage({ chatId: OWNER.id, from: OWNER, text: "after-the-pumpkin" });
    await waitForBotMessage(telegram, /after-the-pumpkin/);
    const [prompt, ...others] = promptsWith(model, "pumpkin now");
    assert.equal(others.length, 0, "one turn read the note");
    assert.equal(prompt!.split("how big is the pumpkin now").length, 2, "one transcript");
    assert.equal(
      telegram.sent.filter((message) => /pumpkin now/.test(message.text ?? "")).length,
      1,
      "exactly one reply",
    );
  });

  it("refuses an over-long note with a clear note and uploads nothing", async () => {
    telegram.injectMessage({
      chatId: OWNER.id,
      from: OWNER,
      voice: { bytes: recording("rec-too-long"), duration: 301 },
    });
    await waitForBotMessage(telegram, /5:01 long/);
    const [prompt] = promptsWith(model, "5:01 long");
    assert.match(
      prompt!,
      /\[voice note, 5:01 — not transcribed: it is 5:01 long, over the 5:00 limit for transcription\]/,
    );
    assert.equal(uploadsOf("rec-too-long").length, 0);
  });
});

describe("voice notes without transcription", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service;

  before(async () => {
    model = await startAnthropicFake(echoResponder);
    telegram = await startTelegramFake({ botUsername: "pincer_deaf_bot" });
    service = await startVoiceService(dataDir, model, telegram, {});
  });
  after(async () => {
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("tells the agent a voice note arrived that it cannot listen to", async () => {
    telegram.injectMessage({
      chatId: OWNER.id,
      from: OWNER,
      caption: "pincer-deaf listen",
      voice: { bytes: recording("rec-unheard"), duration: 12 },
    });
    await waitForBotMessage(telegram, /pincer-deaf/);
    const [prompt] = promptsWith(model, "pincer-deaf");
    assert.match(
      prompt!,
      /pincer-deaf listen\n\[voice note, 0:12 — not transcribed: voice transcription is not set up, so you cannot listen to it \(the owner can turn it on with TRANSCRIBE_URL\)\]/,
    );
    assert.match(service.output(), /voice notes are not transcribed: set TRANSCRIBE_URL/);
  });
});
