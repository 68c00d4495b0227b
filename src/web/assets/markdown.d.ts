// Types of markdown.js (browser code, served as is), for the tests that import it.
export type InlineNode =
  | { type: "text"; text: string }
  | { type: "br" }
  | { type: "code"; text: string }
  | { type: "link"; href: string; children: InlineNode[] }
  | { type: "strong" | "em" | "del"; children: InlineNode[] };

export type Block =
  | { type: "paragraph" | "quote"; children: InlineNode[] }
  | { type: "heading"; level: number; children: InlineNode[] }
  | { type: "list"; ordered: boolean; start: number; items: InlineNode[][] }
  | { type: "code"; lang: string; text: string }
  | { type: "hr" };

export function safeHref(href: string): string | null;
export function parseInline(text: string): InlineNode[];
export function parseMarkdown(text: string): Block[];
export function renderMarkdown(text: string, doc?: unknown): unknown;
