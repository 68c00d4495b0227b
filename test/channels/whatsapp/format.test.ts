// Markdown to WhatsApp markup.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { markdownToWhatsApp } from "../../../src/channels/whatsapp/format.ts";

describe("markdownToWhatsApp", () => {
  const cases: [string, string, string][] = [
    ["bold", "**bold** and __also__", "*bold* and *also*"],
    ["italic", "*it* and _it_", "_it_ and _it_"],
    ["bold italic", "***both***", "*_both_*"],
    ["strike", "~~gone~~", "~gone~"],
    ["inline code is left alone", "`**not bold**` and `a_b`", "`**not bold**` and `a_b`"],
    ["snake_case words stay", "call my_func_name now", "call my_func_name now"],
    ["arithmetic stays", "2 * 3 * 4", "2 * 3 * 4"],
    [
      "link with label",
      "see [the docs](https://example.com/x)",
      "see the docs (https://example.com/x)",
    ],
    ["bare link label", "[https://example.com](https://example.com)", "https://example.com"],
    ["autolink", "<https://example.com>", "https://example.com"],
    ["heading", "## Plan **now**", "*Plan now*"],
    ["bullets", "* one\n- two\n  + nested", "- one\n- two\n  - nested"],
    ["numbered list stays", "1. first\n2. second", "1. first\n2. second"],
    ["quote", "> **said**", "> *said*"],
    ["rule", "---", "──────────"],
    ["escapes", "\\*literal\\*", "*literal*"],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(markdownToWhatsApp(input), expected));
  }

  it("keeps code blocks verbatim and drops the language tag", () => {
    const input = "before\n```ts\nconst x = **y**;\n```\nafter **b**";
    assert.equal(markdownToWhatsApp(input), "before\n```\nconst x = **y**;\n```\nafter *b*");
  });

  it("closes a code block left open", () => {
    assert.equal(markdownToWhatsApp("```\ncode"), "```\ncode\n```");
  });
});
