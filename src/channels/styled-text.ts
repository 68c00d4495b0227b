// Plain text with style ranges, for platforms that style text by ranges rather than markup
// (Signal's body ranges). It is read back from the HTML dialect of render-html.ts, which
// only ever holds the tags it writes, balanced, with the text escaped, so a small tag walk
// is exact. Offsets count UTF-16 code units, as JavaScript strings and Signal both do.
import { renderHtml } from "./render-html.ts";

export type TextStyle = "BOLD" | "ITALIC" | "STRIKETHROUGH" | "MONOSPACE";

export interface StyleRange {
  start: number;
  length: number;
  style: TextStyle;
}

const TAG_STYLES: Record<string, TextStyle | undefined> = {
  b: "BOLD",
  i: "ITALIC",
  s: "STRIKETHROUGH",
  code: "MONOSPACE",
  pre: "MONOSPACE",
  blockquote: "ITALIC",
};

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", quot: '"', amp: "&" };

const TOKEN = /<(\/?)([a-z]+)([^>]*)>|&(lt|gt|quot|amp);|[^<&]+|[<&]/g;

export function styledText(markdown: string): { text: string; styles: StyleRange[] } {
  let text = "";
  const styles: StyleRange[] = [];
  const open: { tag: string; start: number; href?: string }[] = [];
  for (const match of renderHtml(markdown).matchAll(TOKEN)) {
    const [token, closing, tag, attributes, entity] = match;
    if (entity) {
      text += ENTITIES[entity] ?? "";
    } else if (!tag) {
      text += token;
    } else if (!closing) {
      const href = /href="([^"]*)"/.exec(attributes ?? "")?.[1];
      open.push({ tag, start: text.length, ...(href ? { href: unescape(href) } : {}) });
    } else {
      const started = open.pop();
      if (!started) continue;
      // A link keeps its address in view: Signal has no link markup.
      if (started.href && text.slice(started.start) !== started.href) text += ` (${started.href})`;
      const style = TAG_STYLES[tag];
      const length = text.length - started.start;
      // A <code> inside <pre> (a fenced block with a language) is styled once, by the <pre>.
      const covered = styles.some(
        (range) => range.style === style && range.start <= started.start && range.length >= length,
      );
      if (style && length > 0 && !covered) styles.push({ start: started.start, length, style });
    }
  }
  return { text, styles };
}

function unescape(value: string): string {
  return value.replace(/&(lt|gt|quot|amp);/g, (_, name: string) => ENTITIES[name] ?? "");
}
