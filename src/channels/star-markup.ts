// Markdown, as the agent writes it, to the "star" markup that Slack (mrkdwn) and WhatsApp
// share: *bold*, _italic_, ~strike~, `code`, ``` blocks without a language tag, no
// headings. The dialects differ in escaping, links, quote and bullet markers.

export interface StarDialect {
  /** Escapes text (code included) for the dialect. */
  escape(text: string): string;
  /** Renders a link; `label` is "" for a bare URL. */
  link(url: string, label: string): string;
  /** The dialect's own tokens the agent may write on purpose; they pass through untouched. */
  ownTokens?: RegExp;
  quote: string;
  bullet: string;
}

const FENCE_OPEN = /^\s{0,3}(`{3,}|~{3,})/;
const FENCE_CLOSE = /^\s{0,3}(`{3,}|~{3,})\s*$/;
const PRIVATE_USE = /[\uE000-\uE002]/g;
const SLOT = /\uE000(\d+)\uE001/g;
const BOLD = "\uE002";

/** Converts one line of prose (no code fences). */
function convertInline(dialect: StarDialect, line: string): string {
  const slots: string[] = [];
  const keep = (raw: string): string => `\uE000${slots.push(raw) - 1}\uE001`;
  let out = line
    .replace(/\\([\\`*_{}[\]()#+\-.!~|>])/g, (_, char: string) => keep(dialect.escape(char)))
    .replace(/`([^`\n]+)`/g, (_, code: string) => keep("`" + dialect.escape(code) + "`"))
    .replace(
      /!?\[([^\]\n]*)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g,
      (_, label: string, url: string) => keep(dialect.link(url, label.trim())),
    )
    .replace(/<((?:https?|mailto):[^<>\s]+)>/g, (_, url: string) => keep(dialect.link(url, "")));
  if (dialect.ownTokens) out = out.replace(dialect.ownTokens, (token) => keep(token));
  out = dialect
    .escape(out)
    .replace(/\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*/g, `${BOLD}_$1_${BOLD}`)
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/__(?=\S)(.+?)(?<=\S)__/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])/g, "$1_$2_")
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, "~$1~")
    .replaceAll(BOLD, "*");
  // Slots can nest (a link label holding inline code), so restore until none are left.
  while (SLOT.test(out)) out = out.replace(SLOT, (_, index: string) => slots[Number(index)] ?? "");
  return out;
}

function convertLine(dialect: StarDialect, line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
  if (heading) return `*${convertInline(dialect, (heading[1] ?? "").replace(/\*\*|__/g, ""))}*`;
  if (/^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/.test(line)) return "──────────";
  const quote = /^\s{0,3}>\s?(.*)$/.exec(line);
  if (quote) return `${dialect.quote} ${convertLine(dialect, quote[1] ?? "")}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet)
    return `${bullet[1] ?? ""}${dialect.bullet} ${convertInline(dialect, bullet[2] ?? "")}`;
  return convertInline(dialect, line);
}

export function markdownToStarMarkup(dialect: StarDialect, markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.replace(/\r\n?/g, "\n").replace(PRIVATE_USE, "").split("\n")) {
    if (fence !== null) {
      const close = FENCE_CLOSE.exec(line)?.[1];
      if (close !== undefined && close[0] === fence[0] && close.length >= fence.length) {
        out.push("```");
        fence = null;
      } else {
        out.push(dialect.escape(line));
      }
      continue;
    }
    const open = FENCE_OPEN.exec(line)?.[1];
    if (open !== undefined) {
      // Both dialects would show a language tag as the first line of code, so it is dropped.
      fence = open;
      out.push("```");
      continue;
    }
    out.push(convertLine(dialect, line));
  }
  if (fence !== null) out.push("```");
  return out.join("\n");
}
