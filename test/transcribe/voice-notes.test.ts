// Voice notes of stored messages through the real store and the transcription fake: the
// transcript lands in the attachment and the searchable text, the group is held until it
// is done, failures become notes, and an interrupted transcription resumes.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Attachment } from "../../src/channels/channel.ts";
import { saveAttachments } from "../../src/core/attachments.ts";
import { formatMessages } from "../../src/core/format.ts";
import { createLogger } from "../../src/log.ts";
import { openDb, type Db } from "../../src/store/db.ts";
import { insertGroup, type Group } from "../../src/store/groups.ts";
import {
  editMessage,
  getMessage,
  insertInbound,
  searchMessages,
  setAttachments,
  type StoredAttachment,
} from "../../src/store/messages.ts";
import { Transcriber } from "../../src/transcribe/transcriber.ts";
import { VoiceNotes } from "../../src/transcribe/voice-notes.ts";
import { startTranscribeFake, type TranscribeFake } from "../fakes/transcribe/server.ts";
import { removeDir, tempDir, waitFor } from "../e2e/harness.ts";

const LINE = "[voice note, 0:42, transcribed automatically — may contain errors]";

describe("VoiceNotes", () => {
  const dir = tempDir("pincer-voice-");
  let fake: TranscribeFake;
  let db: Db;
  let group: Group;
  let settled: number[];
  let counter = 0;

  before(async () => {
    fake = await startTranscribeFake();
    db = openDb(join(dir, "pincer.db"));
    group = insertGroup(
      db,
      {
        channel: "telegram",
        chatId: "42",
        folder: "voice-group",
        name: "Voice",
        trigger: "@Andy",
        requiresTrigger: false,
        isMain: false,
      },
      Date.now(),
    );
    mkdirSync(join(dir, "groups", group.folder), { recursive: true });
  });
  after(async () => {
    await fake.close();
    db.close();
    removeDir(dir);
  });
  beforeEach(() => {
    settled = [];
    fake.setResponder(() => "please water the plants");
  });

  function voiceNotes(transcriber: Transcriber | undefined): VoiceNotes {
    return new VoiceNotes({
      db,
      transcriber,
      logger: createLogger("silent"),
      folderOf: (g) => join(dir, "groups", g.folder),
      onSettled: (groupId) => settled.push(groupId),
    });
  }

  function transcriber(maxSeconds = 600): Transcriber {
    return new Transcriber({ url: fake.url, maxSeconds, sleep: async () => undefined });
  }

  /** A message with one voice note, stored and saved the way the orchestrator does it. */
  async function voiceMessage(
    text = "",
    attachment: Partial<Attachment> = {},
  ): Promise<{ id: number; saved: StoredAttachment[] }> {
    counter += 1;
    const { id } = insertInbound(db, {
      channel: group.channel,
      chatId: group.chatId,
      platformId: `m${counter}`,
      senderId: "7",
      senderName: "Alice",
      text,
      timestamp: Date.now(),
    });
    const saved = await saveAttachments(
      join(dir, "groups", group.folder),
      id,
      [
        {
          kind: "audio",
          fileName: "voice.ogg",
          mimeType: "audio/ogg",
          voice: true,
          durationSeconds: 42,
          download: async () => new TextEncoder().encode(`recording ${counter}`),
          ...attachment,
        },
      ],
      1_000_000,
      undefined,
    );
    setAttachments(db, id, saved);
    return { id, saved };
  }

  it("stores the transcript in the attachment and the searchable text, holding the group until then", async () => {
    const notes = voiceNotes(transcriber());
    const { id, saved } = await voiceMessage();
    assert.deepEqual(saved[0]?.transcription, { status: "pending" });
    notes.start(group, id, saved);
    assert.equal(notes.holding(group.id), true);
    await waitFor(() => settled.length > 0, "the group to be released");
    assert.deepEqual(settled, [group.id]);
    assert.equal(notes.holding(group.id), false);

    const message = getMessage(db, id)!;
    assert.equal(message.text, `${LINE} please water the plants`);
    assert.equal(message.editedAt, null, "a transcript is not an edit");
    assert.deepEqual(message.attachments?.[0]?.transcription, {
      status: "done",
      text: "please water the plants",
    });
    assert.equal(message.attachments?.[0]?.path, saved[0]?.path);
    assert.deepEqual(
      searchMessages(db, group.channel, group.chatId, "plants", 5).map((m) => m.id),
      [id],
    );
    const prompt = formatMessages([message], "UTC");
    assert.equal(prompt.split("please water the plants").length, 2, "rendered once");
    assert.match(prompt, /^<message from="Alice" [^>]*>\[voice note, 0:42, transcribed/);
    assert.equal(fake.uploads.at(-1)?.fileName, "voice.ogg");
  });

  it("keeps a caption edited while the note was being transcribed", async () => {
    const notes = voiceNotes(transcriber());
    const { id, saved } = await voiceMessage("listen to this");
    notes.start(group, id, saved);
    editMessage(db, id, "listen to this one", Date.now());
    await waitFor(() => settled.length > 0, "the group to be released");
    assert.equal(getMessage(db, id)?.text, `listen to this one\n${LINE} please water the plants`);
  });

  it("releases the group once, after all of its notes", async () => {
    const notes = voiceNotes(transcriber());
    const first = await voiceMessage();
    const second = await voiceMessage();
    notes.start(group, first.id, first.saved);
    notes.start(group, second.id, second.saved);
    await waitFor(() => !notes.holding(group.id), "both notes");
    assert.deepEqual(settled, [group.id]);
    for (const { id } of [first, second]) assert.match(getMessage(db, id)!.text, /plants$/);
  });

  it("without a transcriber says at once that the agent cannot listen to it", async () => {
    const notes = voiceNotes(undefined);
    const { id, saved } = await voiceMessage();
    const uploads = fake.uploads.length;
    notes.start(group, id, saved);
    assert.equal(notes.holding(group.id), false);
    assert.equal(
      getMessage(db, id)?.text,
      "[voice note, 0:42 — not transcribed: voice transcription is not set up, so you cannot listen to it (the owner can turn it on with TRANSCRIBE_URL)]",
    );
    assert.equal(fake.uploads.length, uploads);
  });

  it("turns a failure or an over-long note into a note, keeping the message", async () => {
    const notes = voiceNotes(transcriber(30));
    fake.enqueue({ status: 400 });
    const refused = await voiceMessage("", { durationSeconds: 20 });
    notes.start(group, refused.id, refused.saved);
    await waitFor(() => !notes.holding(group.id), "the refused note");
    assert.equal(
      getMessage(db, refused.id)?.text,
      "[voice note, 0:20 — not transcribed: the transcription service refused the recording (HTTP 400)]",
    );

    const uploads = fake.uploads.length;
    const long = await voiceMessage("", { durationSeconds: 31 });
    notes.start(group, long.id, long.saved);
    await waitFor(() => !notes.holding(group.id), "the long note");
    assert.equal(
      getMessage(db, long.id)?.text,
      "[voice note, 0:31 — not transcribed: it is 0:31 long, over the 0:30 limit for transcription]",
    );
    assert.equal(fake.uploads.length, uploads, "an over-long note is not uploaded");

    const lost = await voiceMessage("", {
      download: async () => {
        throw new Error("CDN said 404");
      },
    });
    notes.start(group, lost.id, lost.saved);
    await waitFor(() => !notes.holding(group.id), "the lost note");
    assert.equal(
      getMessage(db, lost.id)?.text,
      "[voice note, 0:42 — not transcribed: download failed: CDN said 404]",
    );
  });

  it("leaves an interrupted note pending and finishes it after a restart", async () => {
    const notes = voiceNotes(transcriber());
    fake.enqueue({ delayMs: 120_000 });
    const { id, saved } = await voiceMessage("before the restart");
    const uploads = fake.uploads.length;
    notes.start(group, id, saved);
    await waitFor(() => fake.uploads.length > uploads, "the upload to arrive");
    await notes.stop();
    assert.deepEqual(settled, [], "a stopping service dispatches nothing");
    const stored = getMessage(db, id)!;
    assert.equal(stored.text, "before the restart");
    assert.deepEqual(stored.attachments?.[0]?.transcription, { status: "pending" });

    const restarted = voiceNotes(transcriber());
    restarted.resume(group);
    assert.equal(restarted.holding(group.id), true);
    await waitFor(() => settled.length > 0, "the resumed note");
    assert.equal(getMessage(db, id)?.text, `before the restart\n${LINE} please water the plants`);
  });
});
