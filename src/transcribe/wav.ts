// A short WAV clip made on the spot, for checking a transcription endpoint without
// shipping an audio file: 16-bit mono PCM behind the canonical 44-byte RIFF header.

export interface ToneOptions {
  seconds?: number;
  sampleRate?: number;
  /** Hz; 0 gives silence. */
  frequency?: number;
  /** Peak level from 0 to 1. */
  amplitude?: number;
}

const HEADER_BYTES = 44;
const BYTES_PER_SAMPLE = 2;

export function toneWav(options: ToneOptions = {}): Uint8Array {
  const { seconds = 1, sampleRate = 16_000, frequency = 440, amplitude = 0.2 } = options;
  const samples = Math.round(seconds * sampleRate);
  const dataBytes = samples * BYTES_PER_SAMPLE;
  const bytes = new Uint8Array(HEADER_BYTES + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  ascii(0, "RIFF");
  view.setUint32(4, HEADER_BYTES - 8 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // size of the fmt chunk
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * BYTES_PER_SAMPLE, true); // byte rate
  view.setUint16(32, BYTES_PER_SAMPLE, true); // block align
  view.setUint16(34, 8 * BYTES_PER_SAMPLE, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  const peak = Math.round(Math.min(Math.max(amplitude, 0), 1) * 32_767);
  for (let i = 0; i < samples; i++) {
    const value = Math.round(peak * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
    view.setInt16(HEADER_BYTES + i * BYTES_PER_SAMPLE, value, true);
  }
  return bytes;
}
