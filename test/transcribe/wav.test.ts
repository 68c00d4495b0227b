// The generated check clip is a valid 16 kHz mono 16-bit PCM WAV file.
import assert from "node:assert/strict";
import { test } from "node:test";
import { toneWav } from "../../src/transcribe/wav.ts";

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return new TextDecoder().decode(bytes.slice(offset, offset + length));
}

test("one second at 16 kHz is a 44-byte header and 32000 bytes of samples", () => {
  const wav = toneWav();
  const view = new DataView(wav.buffer);
  assert.equal(wav.byteLength, 44 + 32_000);
  assert.equal(ascii(wav, 0, 4), "RIFF");
  assert.equal(view.getUint32(4, true), wav.byteLength - 8);
  assert.equal(ascii(wav, 8, 8), "WAVEfmt ");
  assert.equal(view.getUint32(16, true), 16);
  assert.equal(view.getUint16(20, true), 1, "PCM");
  assert.equal(view.getUint16(22, true), 1, "mono");
  assert.equal(view.getUint32(24, true), 16_000);
  assert.equal(view.getUint32(28, true), 32_000, "byte rate");
  assert.equal(view.getUint16(32, true), 2, "block align");
  assert.equal(view.getUint16(34, true), 16, "bits per sample");
  assert.equal(ascii(wav, 36, 4), "data");
  assert.equal(view.getUint32(40, true), 32_000);
});

test("the samples are a tone at the asked level, or silence", () => {
  const wav = toneWav({ seconds: 0.5, sampleRate: 8000, frequency: 1000, amplitude: 0.5 });
  const view = new DataView(wav.buffer);
  const samples = Array.from({ length: 4000 }, (_, i) => view.getInt16(44 + i * 2, true));
  assert.equal(Math.max(...samples), 16_384);
  assert.equal(Math.min(...samples), -16_384);
  // 1 kHz at 8 kHz: a period of 8 samples.
  assert.deepEqual(samples.slice(0, 8), samples.slice(8, 16));

  const silence = toneWav({ frequency: 0 });
  assert.ok(silence.slice(44).every((byte) => byte === 0));
});
