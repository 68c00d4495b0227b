import { test } from "node:test";
import assert from "node:assert/strict";
import { renderHtml, visibleText, withLineBreaks } from "../../src/channels/render-html.ts";
import { parseTelegramHtml } from "../fakes/telegram/html.ts";

const render = renderHtml;

test("escapes <, > and & in plain text", () => {
  assert.equal(render("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
  assert.equal(render("<b>not a tag</b>"), "&lt;b&gt;not a tag&lt;/b&gt;");
  // Text that already looks like an entity must still show literally.
  assert.equal(visibleText(render("&lt; &amp;")), "&lt; &amp;");
});

test("renders bold, italic, strikethrough and inline code", () => {
  assert.equal(
    render("**b** *i* _i_ __b__ ~~s~~ `c`"),
    "<b>b</b> <i>i</i> <i>i</i> <b>b</b> <s>s</s> <code>c</code>",
  );
});

test("escapes inside inline code and does not render markup there", () => {
  assert.equal(render("`a<b>&c **x**`"), "<code>a&lt;b&gt;&amp;c **x**</code>");
  assert.equal(render("`` a ` b ``"), "<code>a ` b</code>");
});

test("renders fenced code blocks with and without a language", () => {
  assert.equal(
    render("```ts\nif (a < b && c) {\n  **x**\n}\n```"),
    '<pre><code class="language-ts">if (a &lt; b &amp;&amp; c) {\n  **x**\n}</code></pre>',
  );
  assert.equal(render("~~~\n<html>\n~~~"), "<pre>&lt;html&gt;</pre>");
  assert.equal(
    render('```py" onclick="x\ncode\n```'),
    '<pre><code class="language-py">code</code></pre>',
  );
});

test("an unclosed code fence runs to the end and is still closed", () => {
  assert.equal(
    render("before\n```js\nlet a = 1 < 2;"),
    'before\n<pre><code class="language-js">let a = 1 &lt; 2;</code></pre>',
  );
});

test("nests emphasis inside emphasis", () => {
  assert.equal(render("**bold _italic_ bold**"), "<b>bold <i>italic</i> bold</b>");
  assert.equal(render("*it **bold** it*"), "<i>it <b>bold</b> it</i>");
  assert.equal(render("***both***"), "<b><i>both</i></b>");
  assert.equal(render("~~gone **bold**~~"), "<s>gone <b>bold</b></s>");
  assert.equal(render("**a `b*` c**"), "<b>a <code>b*</code> c</b>");
});

test("leaves unclosed or unmatched markup as literal text", () => {
  assert.equal(render("**bold"), "**bold");
  assert.equal(render("*a"), "*a");
  assert.equal(render("`code"), "`code");
  assert.equal(render("~~strike"), "~~strike");
  assert.equal(render("[link](https://example.com"), "[link](https://example.com");
  assert.equal(render("[no target]"), "[no target]");
  assert.equal(render("**bold *italic***"), "**bold *italic***");
});

test("does not treat ordinary asterisks and underscores as emphasis", () => {
  assert.equal(render("snake_case_name and __init__.py"), "snake_case_name and <b>init</b>.py");
  assert.equal(render("2 * 3 * 4"), "2 * 3 * 4");
  assert.equal(render("file_a_b.txt"), "file_a_b.txt");
  assert.equal(render("~5 minutes"), "~5 minutes");
});

test("renders links and escapes their targets", () => {
  assert.equal(
    render('[site **x**](https://e.com/?a=1&b="2")'),
    '<a href="https://e.com/?a=1&amp;b=&quot;2&quot;">site <b>x</b></a>',
  );
  assert.equal(render("[x](javascript:alert(1))"), "x (javascript:alert(1))");
  assert.equal(render("<https://e.com/a?b=1&c=2>"), "https://e.com/a?b=1&amp;c=2");
  assert.equal(
    render("[a [nested] label](https://e.com/(x))"),
    '<a href="https://e.com/(x)">a [nested] label</a>',
  );
});

test("honours backslash escapes", () => {
  assert.equal(render("\\*not italic\\* and \\<tag\\>"), "*not italic* and &lt;tag&gt;");
  assert.equal(render("C:\\path"), "C:\\path");
});

test("renders headings, bullets and quotes", () => {
  assert.equal(
    render("# Title *x*\n- one\n* two\n  + three"),
    "<b>Title <i>x</i></b>\n• one\n• two\n  • three",
  );
  assert.equal(render("> quoted <b>\n> more"), "<blockquote>quoted &lt;b&gt;\nmore</blockquote>");
});

test("emphasis may span lines of one paragraph but not a blank line", () => {
  assert.equal(render("**a\nb**"), "<b>a\nb</b>");
  assert.equal(render("**a\n\nb**"), "**a\n\nb**");
});

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

test("any input renders to HTML Telegram accepts, never longer to read than the source", () => {
  const alphabet = [
    "*",
    "**",
    "_",
    "__",
    "~~",
    "`",
    "```",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "&",
    "\\",
    " ",
    "\n",
    "# ",
    "- ",
    "> ",
    "a",
    "b",
    "https://x.y",
    "&amp;",
    '"',
  ];
  const random = seededRandom(42);
  for (let round = 0; round < 3000; round += 1) {
    let source = "";
    const length = 1 + Math.floor(random() * 30);
    for (let i = 0; i < length; i += 1) source += alphabet[Math.floor(random() * alphabet.length)];
    const html = render(source);
    const parsed = (() => {
      try {
        return parseTelegramHtml(html);
      } catch (error) {
        assert.fail(
          `${JSON.stringify(source)} rendered to rejected HTML ${JSON.stringify(html)}: ${String(error)}`,
        );
      }
    })();
    assert.equal(parsed.text, visibleText(html), `visible text of ${JSON.stringify(source)}`);
    assert.ok(
      parsed.text.length <= source.length,
      `${JSON.stringify(source)} grew to ${JSON.stringify(parsed.text)}`,
    );
  }
});

test("withLineBreaks breaks lines with <br> outside code blocks and leaves a block's newlines alone", () => {
  assert.equal(
    withLineBreaks(renderHtml("one\ntwo\n\n```\na\nb\n```\nthree")),
    "one<br>\ntwo<br>\n<br>\n<pre>a\nb</pre><br>\nthree",
  );
});
