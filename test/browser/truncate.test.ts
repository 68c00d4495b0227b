import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { textWindow } from "../../src/browser/truncate.ts";
import { safeFileName } from "../../src/browser/group-files.ts";

const lines = Array.from({ length: 100 }, (_, i) => `- line ${i}`).join("\n");

describe("page text windows", () => {
  it("returns short text unchanged", () => {
    assert.equal(textWindow("- a\n- b", 0, 1000), "- a\n- b");
  });

  it("cuts long text at a line end and says where to read on", () => {
    const window = textWindow(lines, 0, 100);
    const body = window.split("\n[Truncated")[0]!;
    assert.ok(body.length <= 100);
    assert.match(body, /- line \d+$/);
    const next = Number(/offset (\d+) to read on/.exec(window)?.[1]);
    assert.equal(lines.slice(0, next).replace(/\n$/, ""), body);
    assert.match(window, new RegExp(`showing characters 0-${next} of ${lines.length}`));
  });

  it("pages through the whole text without losing or repeating a line", () => {
    const seen: string[] = [];
    let offset = 0;
    for (let guard = 0; guard < 100; guard++) {
      const window = textWindow(lines, offset, 150);
      seen.push(...window.split("\n").filter((line) => line.startsWith("- line")));
      const next = /offset (\d+) to read on/.exec(window)?.[1];
      if (!next) {
        assert.match(window, /\[End of page: characters \d+-\d+ of \d+\.\]/);
        break;
      }
      offset = Number(next);
    }
    assert.deepEqual(seen, lines.split("\n"));
  });

  it("cuts inside a line only when one line is longer than the window", () => {
    const window = textWindow("x".repeat(500), 0, 100);
    assert.ok(window.startsWith("x".repeat(100) + "\n[Truncated"));
  });

  it("says so when the offset is past the end", () => {
    assert.match(textWindow("short", 50, 100), /Nothing at offset 50: the snapshot has 5/);
  });
});

describe("download file names", () => {
  it("keeps ordinary names and neutralises paths, dot-files and control characters", () => {
    assert.equal(safeFileName("report.pdf", "download"), "report.pdf");
    assert.equal(safeFileName("../../etc/passwd", "download"), "_.._etc_passwd");
    assert.equal(safeFileName(".bashrc", "download"), "bashrc");
    assert.equal(safeFileName("a\nb\\c", "download"), "a_b_c");
    assert.equal(safeFileName("...", "download"), "download");
    assert.equal(safeFileName("x".repeat(300), "d").length, 120);
  });
});
