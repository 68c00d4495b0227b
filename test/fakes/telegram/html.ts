// Telegram's parse_mode=HTML, the way the Bot API server (tdlib) applies it: only the
// supported tags, properly nested; `<` must start a tag; known entities are decoded and a
// bare `&` stays literal. The result is what the recipient sees (plain text + entities),
// so tests can check both the formatting and the visible characters of a reply.
import type { MessageEntity } from "grammy/types";

export class HtmlParseError extends Error {
  constructor(reason: string) {
    super(`Bad Request: can't parse entities: ${reason}`);
    this.name = "HtmlParseError";
  }
}

const ENTITY_TYPES: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  span: "spoiler",
  a: "text_link",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
};

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

interface OpenTag {
  name: string;
  start: number;
  attributes: Map<string, string>;
  language?: string;
}

export interface ParsedHtml {
  text: string;
  entities: MessageEntity[];
}

function byteOffset(html: string, index: number): number {
  return Buffer.byteLength(html.slice(0, index));
}

function decodeEntity(html: string, at: number): { char: string; length: number } | null {
  const match = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/.exec(html.slice(at, at + 12));
  if (!match) return null;
  const body = match[1] ?? "";
  let char: string;
  if (body.startsWith("#x")) char = String.fromCodePoint(Number.parseInt(body.slice(2), 16));
  else if (body.startsWith("#")) char = String.fromCodePoint(Number.parseInt(body.slice(1), 10));
  else char = NAMED[body] ?? "";
  return { char, length: match[0].length };
}

function decodeAll(value: string): string {
  let out = "";
  for (let i = 0; i < value.length;) {
    const entity = value[i] === "&" ? decodeEntity(value, i) : null;
    if (entity) {
      out += entity.char;
      i += entity.length;
    } else {
      out += value[i];
      i += 1;
    }
  }
  return out;
}

function parseAttributes(source: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const pattern = /([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
  for (const match of source.matchAll(pattern)) {
    const name = (match[1] ?? "").toLowerCase();
    attributes.set(name, decodeAll(match[2] ?? match[3] ?? match[4] ?? ""));
  }
  return attributes;
}

function toEntity(tag: OpenTag, end: number, stack: OpenTag[]): MessageEntity | null {
  const offset = tag.start;
  const length = end - offset;
  if (length === 0) return null;
  switch (tag.name) {
    case "a":
      return { type: "text_link", offset, length, url: tag.attributes.get("href") ?? "" };
    case "pre":
      return tag.language
        ? { type: "pre", offset, length, language: tag.language }
        : { type: "pre", offset, length };
    case "code": {
      const parent = stack[stack.length - 1];
      const language = /^language-(.+)$/.exec(tag.attributes.get("class") ?? "")?.[1];
      // <pre><code class="language-x"> is one pre entity carrying the language.
      if (parent?.name === "pre") {
        if (language) parent.language = language;
        return null;
      }
      return { type: "code", offset, length };
    }
    default: {
      const type = ENTITY_TYPES[tag.name] as "bold";
      return { type, offset, length };
    }
  }
}

export function parseTelegramHtml(html: string): ParsedHtml {
  let text = "";
  const entities: MessageEntity[] = [];
  const stack: OpenTag[] = [];
  let i = 0;
  while (i < html.length) {
    const char = html[i] ?? "";
    if (char === "&") {
      const entity = decodeEntity(html, i);
      text += entity ? entity.char : "&";
      i += entity ? entity.length : 1;
      continue;
    }
    if (char !== "<") {
      text += char;
      i += 1;
      continue;
    }
    const closing = html[i + 1] === "/";
    const tag = /^<\/?([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>/.exec(html.slice(i));
    if (!tag) {
      const kind = closing ? "end" : "start";
      throw new HtmlParseError(`Unsupported ${kind} tag "" at byte offset ${byteOffset(html, i)}`);
    }
    const name = (tag[1] ?? "").toLowerCase();
    if (!(name in ENTITY_TYPES)) {
      const kind = closing ? "end" : "start";
      throw new HtmlParseError(
        `Unsupported ${kind} tag "${name}" at byte offset ${byteOffset(html, i)}`,
      );
    }
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) {
        const expected = open ? `expected "</${open.name}>", ` : "";
        throw new HtmlParseError(
          `Unmatched end tag at byte offset ${byteOffset(html, i)}, ${expected}found "</${name}>"`,
        );
      }
      const entity = toEntity(open, text.length, stack);
      if (entity) entities.push(entity);
    } else {
      const attributes = parseAttributes(tag[2] ?? "");
      if (name === "span" && attributes.get("class") !== "tg-spoiler") {
        throw new HtmlParseError(
          `Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(html, i)}`,
        );
      }
      stack.push({ name, start: text.length, attributes });
    }
    i += tag[0].length;
  }
  const unclosed = stack.pop();
  if (unclosed)
    throw new HtmlParseError(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}
