// WhatsApp's voice note is an audioMessage with ptt set; its length is `seconds`. Checked on
// the adapter's attachment mapping directly (the adapter's own tests belong to its owner).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WAMessage } from "baileys";
import { attachmentsOf, type MediaSource } from "../../src/channels/whatsapp/attachments.ts";
import { createLogger } from "../../src/log.ts";

const source: MediaSource = {
  maxBytes: 1_000_000,
  logger: createLogger("silent"),
  reupload: async (message) => message,
};

function waMessage(id: string, content: WAMessage["message"]): WAMessage {
  return { key: { remoteJid: "15550001111@s.whatsapp.net", fromMe: false, id }, message: content };
}

test("a push-to-talk recording is a voice note with its length; other audio is not", () => {
  const ptt = { audioMessage: { mimetype: "audio/ogg; codecs=opus", ptt: true, seconds: 42 } };
  const [voice] = attachmentsOf(waMessage("PTT", ptt), ptt, source);
  assert.deepEqual(
    [voice?.kind, voice?.voice, voice?.durationSeconds, voice?.fileName],
    ["audio", true, 42, "voice-PTT.ogg"],
  );

  const song = { audioMessage: { mimetype: "audio/mpeg", ptt: false, seconds: 200 } };
  const [audio] = attachmentsOf(waMessage("MP3", song), song, source);
  assert.deepEqual([audio?.kind, audio?.voice, audio?.durationSeconds], ["audio", undefined, 200]);

  const clip = { videoMessage: { mimetype: "video/mp4", seconds: 9 } };
  const [video] = attachmentsOf(waMessage("VID", clip), clip, source);
  assert.deepEqual([video?.kind, video?.voice, video?.durationSeconds], ["video", undefined, 9]);
});
