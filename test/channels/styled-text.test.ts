// Markdown as plain text plus style ranges (Signal's body ranges).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { styledText } from "../../src/channels/styled-text.ts";

describe("styledText", () => {
  it("turns emphasis, strike and code into ranges over the visible text", () => {
    assert.deepEqual(styledText("a **b** _c_ ~~d~~ `e`"), {
      text: "a b c d e",
      styles: [
        { start: 2, length: 1, style: "BOLD" },
        { start: 4, length: 1, style: "ITALIC" },
        { start: 6, length: 1, style: "STRIKETHROUGH" },
        { start: 8, length: 1, style: "MONOSPACE" },
      ],
    });
  });

  it("counts offsets in UTF-16 units, past emoji and escaped characters", () => {
    const { text, styles } = styledText("😀 <tag> & **hi**");
    assert.equal(text, "😀 <tag> & hi");
    assert.deepEqual(styles, [{ start: text.indexOf("hi"), length: 2, style: "BOLD" }]);
    assert.equal(text.indexOf("hi"), 11);
  });

  it("styles a fenced block once, and keeps a link's address in view", () => {
    const block = styledText("```ts\nconst a = 1;\n```");
    assert.deepEqual(block, {
      text: "const a = 1;",
      styles: [{ start: 0, length: 12, style: "MONOSPACE" }],
    });
    assert.equal(
      styledText("[docs](https://example.org/a?b=1&c=2)").text,
      "docs (https://example.org/a?b=1&c=2)",
    );
    assert.equal(styledText("<https://example.org>").text, "https://example.org");
  });

  it("leaves unbalanced markers as the text they are", () => {
    assert.deepEqual(styledText("2 * 3 = 6, **almost"), {
      text: "2 * 3 = 6, **almost",
      styles: [],
    });
  });
});
