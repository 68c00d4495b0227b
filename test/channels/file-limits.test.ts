import assert from "node:assert/strict";
import { test } from "node:test";
import { FILE_LIMITS, fileTooLarge, formatSize } from "../../src/channels/file-limits.ts";

const MB = 1024 * 1024;

test("a file over the platform's limit is refused in words naming file, size and platform", () => {
  assert.equal(
    fileTooLarge("telegram", "report.pdf", 60 * MB),
    "report.pdf is 60 MB; Telegram bots can send at most 50 MB.",
  );
  assert.equal(
    fileTooLarge("discord", "clip.mp4", 10 * MB + 1),
    "clip.mp4 is 10 MB; Discord bots can send at most 10 MB.",
  );
});

test("the limit a platform's server reports wins over the known one, and the refusal says so", () => {
  assert.equal(
    fileTooLarge("matrix", "scan.pdf", 2 * MB, 1 * MB),
    "scan.pdf is 2 MB; Matrix (as this server is set up) can send at most 1 MB.",
  );
  assert.equal(fileTooLarge("matrix", "scan.pdf", 60 * MB, 100 * MB), undefined);
});

test("a file at the limit goes", () => {
  for (const [channel, limit] of Object.entries(FILE_LIMITS))
    assert.equal(fileTooLarge(channel as keyof typeof FILE_LIMITS, "a", limit.maxBytes), undefined);
});

test("the limits are the platforms' documented ones", () => {
  assert.equal(FILE_LIMITS.telegram.maxBytes, 50 * MB);
  assert.equal(FILE_LIMITS.discord.maxBytes, 10 * MB);
  assert.equal(FILE_LIMITS.slack.maxBytes, 1024 * MB);
  assert.equal(FILE_LIMITS.whatsapp.maxBytes, 100 * MB);
  assert.equal(FILE_LIMITS.email.maxBytes, 25 * MB);
  assert.equal(FILE_LIMITS.signal.maxBytes, 100 * MB);
  assert.equal(FILE_LIMITS.matrix.maxBytes, 50 * MB);
});

test("sizes read as a person says them", () => {
  assert.equal(formatSize(12), "12 bytes");
  assert.equal(formatSize(2048), "2 KB");
  assert.equal(formatSize(1.5 * MB), "1.5 MB");
});
