// Markdown from the model, rendered without ever parsing HTML: the text is parsed into a
// small tree (strings only) and turned into DOM nodes with createElement/createTextNode.
// A tag in the text stays text; a link is only made for http(s) and mailto addresses.

/** The address when it is safe to link to, else null. */
export function safeHref(href) {
  try {
    const url = new URL(href);
    return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

// Sticky patterns, tried only where the text has the rule's first character; spans are
// bounded so that unclosed markers cannot make parsing quadratic in the message length.
const INLINE_RULES = [
  { type: "code", first: "`", pattern: /`([^`\n]+)`/y },
  { type: "link", first: "[", pattern: /\[([^\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)/y },
  { type: "strong", first: "*", pattern: /\*\*(?=\S)([\s\S]{0,2000}?\S)\*\*/y },
  { type: "strong", first: "_", pattern: /__(?=\S)([\s\S]{0,2000}?\S)__(?![A-Za-z0-9])/y },
  { type: "del", first: "~", pattern: /~~(?=\S)([\s\S]{0,2000}?\S)~~/y },
  { type: "em", first: "*", pattern: /\*(?=[^\s*])([^*\n]*?[^\s*])\*/y },
  { type: "em", first: "_", pattern: /_(?=[^\s_])([^_\n]*?[^\s_])_(?![A-Za-z0-9])/y },
  { type: "url", first: "h", pattern: /https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"*_~]/y },
];
const WORD = /[A-Za-z0-9]/;

function inlineNode(rule, match) {
  if (rule.type === "code") return { type: "code", text: match[1] };
  if (rule.type === "url") {
    const href = safeHref(match[0]);
    return href && { type: "link", href, children: [{ type: "text", text: match[0] }] };
  }
  if (rule.type === "link") {
    const href = safeHref(match[2]);
    return href
      ? { type: "link", href, children: parseInline(match[1]) }
      : { type: "text", text: match[1] };
  }
  return { type: rule.type, children: parseInline(match[1]) };
}

/** Inline Markdown as a list of nodes: text, br, code, link, strong, em, del. */
export function parseInline(text) {
  const nodes = [];
  let plain = "";
  const flush = () => {
    if (plain) nodes.push({ type: "text", text: plain });
    plain = "";
  };
  let i = 0;
  outer: while (i < text.length) {
    const char = text[i];
    // Intra-word markers (snake_case, a URL inside a word) are text.
    const inWord = i > 0 && WORD.test(text[i - 1]);
    for (const rule of INLINE_RULES) {
      if (rule.first !== char || (inWord && (char === "_" || rule.type === "url"))) continue;
      rule.pattern.lastIndex = i;
      const match = rule.pattern.exec(text);
      const node = match && inlineNode(rule, match);
      if (!node) continue;
      flush();
      nodes.push(node);
      i += match[0].length;
      continue outer;
    }
    if (char === "\n") {
      flush();
      nodes.push({ type: "br" });
    } else plain += char;
    i++;
  }
  flush();
  return nodes;
}

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;

/** Block Markdown as a list of blocks: paragraph, heading, list, quote, code, hr. */
export function parseMarkdown(text) {
  const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  const blocks = [];
  let paragraph = [];
  const endParagraph = () => {
    if (paragraph.length)
      blocks.push({ type: "paragraph", children: parseInline(paragraph.join("\n")) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      const code = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) code.push(lines[i]);
      blocks.push({ type: "code", lang: fence[2], text: code.join("\n") });
      continue;
    }
    if (!line.trim()) {
      endParagraph();
      continue;
    }
    if (RULE.test(line)) {
      endParagraph();
      blocks.push({ type: "hr" });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      blocks.push({ type: "heading", level: heading[1].length, children: parseInline(heading[2]) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = NUMBERED.exec(line);
    if (bullet || numbered) {
      endParagraph();
      const ordered = !bullet;
      const list = { type: "list", ordered, start: ordered ? Number(numbered[1]) : 1, items: [] };
      for (; i < lines.length; i++) {
        const item = ordered ? NUMBERED.exec(lines[i]) : BULLET.exec(lines[i]);
        if (item) list.items.push(item[ordered ? 2 : 1]);
        else if (/^\s{2,}\S/.test(lines[i]) && list.items.length)
          list.items[list.items.length - 1] += "\n" + lines[i].trim();
        else break;
      }
      i--;
      list.items = list.items.map((item) => parseInline(item));
      blocks.push(list);
      continue;
    }
    if (QUOTE.test(line)) {
      endParagraph();
      const quoted = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) quoted.push(QUOTE.exec(lines[i])[1]);
      i--;
      blocks.push({ type: "quote", children: parseInline(quoted.join("\n")) });
      continue;
    }
    paragraph.push(line);
  }
  endParagraph();
  return blocks;
}

const INLINE_TAGS = { strong: "strong", em: "em", del: "del" };

function appendInline(doc, parent, nodes) {
  for (const node of nodes) {
    if (node.type === "text") parent.appendChild(doc.createTextNode(node.text));
    else if (node.type === "br") parent.appendChild(doc.createElement("br"));
    else if (node.type === "code") {
      const code = doc.createElement("code");
      code.textContent = node.text;
      parent.appendChild(code);
    } else if (node.type === "link") {
      const link = doc.createElement("a");
      link.href = node.href;
      link.rel = "noopener noreferrer nofollow";
      link.target = "_blank";
      appendInline(doc, link, node.children);
      parent.appendChild(link);
    } else if (INLINE_TAGS[node.type]) {
      const element = doc.createElement(INLINE_TAGS[node.type]);
      appendInline(doc, element, node.children);
      parent.appendChild(element);
    }
  }
}

/** The Markdown as DOM nodes in a fragment; no HTML in `text` is ever interpreted. */
export function renderMarkdown(text, doc = document) {
  const fragment = doc.createDocumentFragment();
  for (const block of parseMarkdown(text)) {
    let element;
    if (block.type === "code") {
      element = doc.createElement("pre");
      const code = doc.createElement("code");
      code.textContent = block.text;
      element.appendChild(code);
    } else if (block.type === "hr") element = doc.createElement("hr");
    else if (block.type === "heading") {
      // Chat headings stay small: h3 and below, whatever the model wrote.
      element = doc.createElement("h" + Math.min(6, block.level + 2));
      appendInline(doc, element, block.children);
    } else if (block.type === "list") {
      element = doc.createElement(block.ordered ? "ol" : "ul");
      if (block.ordered && block.start !== 1) element.start = block.start;
      for (const item of block.items) {
        const li = doc.createElement("li");
        appendInline(doc, li, item);
        element.appendChild(li);
      }
    } else if (block.type === "quote") {
      element = doc.createElement("blockquote");
      appendInline(doc, element, block.children);
    } else {
      element = doc.createElement("p");
      appendInline(doc, element, block.children);
    }
    fragment.appendChild(element);
  }
  return fragment;
}
