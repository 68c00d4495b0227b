// The chat's Markdown parser (browser code): formatting becomes a tree of plain strings,
// markup in the text stays text, and only http(s)/mailto addresses become links.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  parseInline,
  parseMarkdown,
  safeHref,
  type InlineNode,
} from "../../src/web/assets/markdown.js";

/** The text a reader would see, flattened. */
function textOf(nodes: InlineNode[]): string {
  return nodes
    .map((node) => {
      if (node.type === "text" || node.type === "code") return node.text;
      if (node.type === "br") return "\n";
      return textOf(node.children);
    })
    .join("");
}

describe("markdown", () => {
  it("parses emphasis, code and links inline", () => {
    assert.deepEqual(parseInline("a **b** *c* `d` ~~e~~"), [
      { type: "text", text: "a " },
      { type: "strong", children: [{ type: "text", text: "b" }] },
      { type: "text", text: " " },
      { type: "em", children: [{ type: "text", text: "c" }] },
      { type: "text", text: " " },
      { type: "code", text: "d" },
      { type: "text", text: " " },
      { type: "del", children: [{ type: "text", text: "e" }] },
    ]);
    assert.deepEqual(parseInline("[docs](https://example.com/a?b=1)"), [
      {
        type: "link",
        href: "https://example.com/a?b=1",
        children: [{ type: "text", text: "docs" }],
      },
    ]);
  });

  it("keeps HTML as text and links only safe schemes", () => {
    const nodes = parseInline('<img src=x onerror="alert(1)"> [x](javascript:alert(1))');
    assert.ok(nodes.every((node) => node.type === "text"));
    assert.equal(textOf(nodes), '<img src=x onerror="alert(1)"> x');
    assert.deepEqual(parseInline("[wiki](https://en.wikipedia.org/wiki/Pincer_(tool))")[0], {
      type: "link",
      href: "https://en.wikipedia.org/wiki/Pincer_(tool)",
      children: [{ type: "text", text: "wiki" }],
    });
    assert.equal(safeHref("javascript:alert(1)"), null);
    assert.equal(safeHref("data:text/html,<b>"), null);
    assert.equal(safeHref("/relative"), null);
    assert.equal(safeHref("mailto:a@example.com"), "mailto:a@example.com");
  });

  it("links bare URLs without their trailing punctuation", () => {
    const nodes = parseInline("see https://example.com/x.");
    assert.deepEqual(nodes[1], {
      type: "link",
      href: "https://example.com/x",
      children: [{ type: "text", text: "https://example.com/x" }],
    });
    assert.deepEqual(nodes[2], { type: "text", text: "." });
  });

  it("leaves snake_case and unclosed markers alone", () => {
    assert.deepEqual(parseInline("call my_var_name now"), [
      { type: "text", text: "call my_var_name now" },
    ]);
    assert.deepEqual(parseInline("2 * 3 and **open"), [{ type: "text", text: "2 * 3 and **open" }]);
  });

  it("parses blocks: headings, lists, quotes, fenced code, rules, paragraphs", () => {
    const blocks = parseMarkdown(
      "# Title\n\nline one\nline two\n\n- a\n- b\n\n3. c\n4. d\n\n> quoted\n\n```js\nlet x = '<b>';\n```\n---",
    );
    assert.deepEqual(
      blocks.map((block) => block.type),
      ["heading", "paragraph", "list", "list", "quote", "code", "hr"],
    );
    const paragraph = blocks[1] as { children: InlineNode[] };
    assert.equal(textOf(paragraph.children), "line one\nline two");
    const ordered = blocks[3] as { ordered: boolean; start: number; items: InlineNode[][] };
    assert.deepEqual([ordered.ordered, ordered.start, ordered.items.length], [true, 3, 2]);
    assert.deepEqual(blocks[5], { type: "code", lang: "js", text: "let x = '<b>';" });
  });

  it("parses a long message full of markers without losing its text", () => {
    const text = "**a _b `c [d ~~e (f) ".repeat(5_000);
    const blocks = parseMarkdown(text);
    const shown = textOf((blocks[0] as { children: InlineNode[] }).children);
    const letters = (value: string) => value.replace(/[^a-f]/g, "");
    assert.equal(letters(shown), letters(text));
  });
});
