// Renders the Markdown the assistant writes into a small HTML dialect: <b>, <i>, <s>, <code>,
// <pre>, <a href>, <blockquote>, newlines kept as text. It is what Telegram accepts
// (parse_mode "HTML"); Matrix's formatted body and the HTML part of a mail take it with the
// newlines made <br>, and Signal's text styles are read back from it. Telegram rejects a whole message over one stray tag, so every
// construct either renders as balanced tags or falls back to literal, escaped text:
// unclosed emphasis, a link without a target, a code span without its closing backticks.
// The visible text never grows, so a chunk that fits in Markdown also fits once rendered.

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (char) => ESCAPES[char] ?? char);
}

function escapeAttribute(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ESCAPES[char] ?? char);
}

/** The characters a reader sees once Telegram has applied the HTML. */
export function visibleText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(
      /&(lt|gt|quot|amp);/g,
      (_, name: string) => ({ lt: "<", gt: ">", quot: '"', amp: "&" })[name] ?? "",
    );
}

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;
const LINK_SCHEMES = /^(https?|tg|mailto|ftp):/i;

function isSpace(char: string | undefined): boolean {
  return char === undefined || /\s/.test(char);
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}]/u.test(char);
}

function runLength(text: string, at: number): number {
  const char = text[at];
  let end = at;
  while (text[end] === char) end += 1;
  return end - at;
}

/** A code span starting at `at`: a backtick run closed by a run of the same length. */
function codeSpan(text: string, at: number): { content: string; end: number } | null {
  const length = runLength(text, at);
  let search = at + length;
  while (search < text.length) {
    const next = text.indexOf("`", search);
    if (next === -1) return null;
    const closing = runLength(text, next);
    if (closing === length) {
      let content = text.slice(at + length, next);
      if (/^ .*[^ ].* $/s.test(content)) content = content.slice(1, -1);
      return { content, end: next + closing };
    }
    search = next + closing;
  }
  return null;
}

/** Index of the delimiter run that closes an emphasis opened at `from`, or -1. */
function findCloser(text: string, from: number, delimiter: string, length: number): number {
  let at = from;
  while (at < text.length) {
    const char = text[at];
    if (char === "\\") {
      at += 2;
      continue;
    }
    if (char === "`") {
      const span = codeSpan(text, at);
      at = span ? span.end : at + runLength(text, at);
      continue;
    }
    if (char !== delimiter) {
      at += 1;
      continue;
    }
    const run = runLength(text, at);
    const closes =
      run === length &&
      at > from &&
      !isSpace(text[at - 1]) &&
      (delimiter !== "_" || !isWordChar(text[at + run]));
    if (closes) return at;
    at += run;
  }
  return -1;
}

const EMPHASIS: Record<string, Record<number, [string, string]>> = {
  "*": { 1: ["<i>", "</i>"], 2: ["<b>", "</b>"], 3: ["<b><i>", "</i></b>"] },
  _: { 1: ["<i>", "</i>"], 2: ["<b>", "</b>"], 3: ["<b><i>", "</i></b>"] },
  "~": { 2: ["<s>", "</s>"] },
};

function emphasis(text: string, at: number, links: boolean): { html: string; end: number } | null {
  const delimiter = text[at] ?? "";
  const length = runLength(text, at);
  const tags = EMPHASIS[delimiter]?.[length];
  if (!tags) return null;
  if (isSpace(text[at + length])) return null;
  if (delimiter === "_" && isWordChar(text[at - 1])) return null;
  const closer = findCloser(text, at + length, delimiter, length);
  if (closer === -1) return null;
  const inner = renderInline(text.slice(at + length, closer), links);
  return { html: tags[0] + inner + tags[1], end: closer + length };
}

function matchingBracket(text: string, at: number, open: string, close: string): number {
  let depth = 0;
  for (let i = at; i < text.length; i += 1) {
    const char = text[i];
    if (char === "\\") i += 1;
    else if (char === open) depth += 1;
    else if (char === close && --depth === 0) return i;
  }
  return -1;
}

function link(text: string, at: number): { html: string; end: number } | null {
  const labelEnd = matchingBracket(text, at, "[", "]");
  if (labelEnd === -1 || text[labelEnd + 1] !== "(") return null;
  const targetEnd = matchingBracket(text, labelEnd + 1, "(", ")");
  if (targetEnd === -1) return null;
  const target = text.slice(labelEnd + 2, targetEnd).trim();
  const url = /^<([^>]*)>|^(\S+)/.exec(target);
  const href = url?.[1] ?? url?.[2] ?? "";
  const label = text.slice(at + 1, labelEnd);
  const inner = renderInline(label, false);
  if (!LINK_SCHEMES.test(href)) {
    const shown = label.trim() === "" ? escapeHtml(href) : `${inner} (${escapeHtml(href)})`;
    return { html: shown, end: targetEnd + 1 };
  }
  const shown = label.trim() === "" ? escapeHtml(href) : inner;
  return { html: `<a href="${escapeAttribute(href)}">${shown}</a>`, end: targetEnd + 1 };
}

function renderInline(text: string, links = true): string {
  let html = "";
  let at = 0;
  while (at < text.length) {
    const char = text[at] ?? "";
    const next = text[at + 1];
    if (char === "\\" && next !== undefined && PUNCTUATION.test(next)) {
      html += escapeHtml(next);
      at += 2;
      continue;
    }
    if (char === "`") {
      const span = codeSpan(text, at);
      if (span) {
        html += `<code>${escapeHtml(span.content)}</code>`;
        at = span.end;
        continue;
      }
      const run = runLength(text, at);
      html += text.slice(at, at + run);
      at += run;
      continue;
    }
    if (char === "[" && links) {
      const rendered = link(text, at);
      if (rendered) {
        html += rendered.html;
        at = rendered.end;
        continue;
      }
    }
    if (char === "<") {
      // An autolink: Telegram links bare URLs by itself, so only the brackets go.
      const autolink = /^<((?:https?|mailto|tg):[^\s<>]+)>/i.exec(text.slice(at));
      if (autolink) {
        html += escapeHtml(autolink[1] ?? "");
        at += autolink[0].length;
        continue;
      }
    }
    if (char === "*" || char === "_" || char === "~") {
      const rendered = emphasis(text, at, links);
      if (rendered) {
        html += rendered.html;
        at = rendered.end;
        continue;
      }
      const run = runLength(text, at);
      html += text.slice(at, at + run);
      at += run;
      continue;
    }
    html += escapeHtml(char);
    at += 1;
  }
  return html;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const BULLET = /^([ \t]*)[-*+][ \t]+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;

function isFenceClose(line: string, marker: string): boolean {
  const match = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  const close = match?.[1];
  return close !== undefined && close[0] === marker[0] && close.length >= marker.length;
}

function codeBlock(lines: string[], language: string): string {
  const code = escapeHtml(lines.join("\n"));
  const safeLanguage = language.replace(/[^\w+#.-]/g, "");
  return safeLanguage
    ? `<pre><code class="language-${safeLanguage}">${code}</code></pre>`
    : `<pre>${code}</pre>`;
}

function startsBlock(line: string): boolean {
  return FENCE_OPEN.test(line) || HEADING.test(line) || BULLET.test(line) || QUOTE.test(line);
}

export function renderHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const blocks: string[] = [];
  let at = 0;
  while (at < lines.length) {
    const line = lines[at] ?? "";
    const fence = FENCE_OPEN.exec(line);
    if (fence) {
      const marker = fence[1] ?? "```";
      const body: string[] = [];
      at += 1;
      // An unclosed fence runs to the end of the text, as in CommonMark.
      while (at < lines.length && !isFenceClose(lines[at] ?? "", marker))
        body.push(lines[(at += 1) - 1] ?? "");
      at += 1;
      blocks.push(codeBlock(body, fence[2] ?? ""));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push(`<b>${renderInline(heading[1] ?? "")}</b>`);
      at += 1;
      continue;
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      blocks.push(`${bullet[1] ?? ""}• ${renderInline(bullet[2] ?? "")}`);
      at += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      while (at < lines.length && QUOTE.test(lines[at] ?? "")) {
        quoted.push(QUOTE.exec(lines[at] ?? "")?.[1] ?? "");
        at += 1;
      }
      blocks.push(`<blockquote>${renderInline(quoted.join("\n"))}</blockquote>`);
      continue;
    }
    // A paragraph: consecutive plain lines, so emphasis may span a line break.
    const paragraph = [line];
    at += 1;
    while (
      at < lines.length &&
      (lines[at] ?? "").trim() !== "" &&
      line.trim() !== "" &&
      !startsBlock(lines[at] ?? "")
    ) {
      paragraph.push(lines[at] ?? "");
      at += 1;
    }
    blocks.push(renderInline(paragraph.join("\n")));
  }
  return blocks.join("\n");
}

/** The dialect for a renderer that collapses whitespace (Matrix, mail): newlines become <br> outside <pre>. */
export function withLineBreaks(html: string): string {
  return html
    .split(/(<pre>[\s\S]*?<\/pre>)/)
    .map((part, index) => (index % 2 === 1 ? part : part.replace(/\n/g, "<br>\n")))
    .join("");
}
