// Markdown, as the agent writes it, to WhatsApp's own markup: *bold*, _italic_, ~strike~,
// `inline code`, ``` blocks, "> " quotes and "- " lists. WhatsApp has no links with labels
// and no escapes, so a link becomes "label (url)" and everything else is plain text.

const FENCE_OPEN = /^\s{0,3}(`{3,}|~{3,})/;
const FENCE_CLOSE = /^\s{0,3}(`{3,}|~{3,})\s*$/;
const PRIVATE_USE = /[\uE000-\uE002]/g;
const SLOT = /\uE000(\d+)\uE001/g;
/** Stands in for a bold "*" while single "*" pairs are still being read as italics. */
const BOLD = "\uE002";

function link(url: string, label: string): string {
  const text = label.trim();
  return text === "" || text === url || `mailto:${text}` === url ? url : `${text} (${url})`;
}

/** Converts one line of prose (no code fences). */
function convertInline(line: string): string {
  const slots: string[] = [];
  const keep = (raw: string): string => `\uE000${slots.push(raw) - 1}\uE001`;
  let out = line
    .replace(/\\([\\`*_{}[\]()#+\-.!~|>])/g, (_, char: string) => keep(char))
    .replace(/`([^`\n]+)`/g, (_, code: string) => keep("`" + code + "`"))
    .replace(
      /!?\[([^\]\n]*)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g,
      (_, label: string, url: string) => keep(link(url, label)),
    )
    .replace(/<((?:https?|mailto):[^<>\s]+)>/g, (_, url: string) => keep(url));
  out = out
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

function convertLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
  if (heading) return `*${convertInline((heading[1] ?? "").replace(/\*\*|__/g, ""))}*`;
  if (/^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/.test(line)) return "──────────";
  const quote = /^\s{0,3}>\s?(.*)$/.exec(line);
  if (quote) return `> ${convertLine(quote[1] ?? "")}`;
  // "- " is WhatsApp's list marker; "* " would read as the start of bold.
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1] ?? ""}- ${convertInline(bullet[2] ?? "")}`;
  return convertInline(line);
}

export function markdownToWhatsApp(markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.replace(/\r\n?/g, "\n").replace(PRIVATE_USE, "").split("\n")) {
    if (fence !== null) {
      const close = FENCE_CLOSE.exec(line)?.[1];
      if (close !== undefined && close[0] === fence[0] && close.length >= fence.length) {
        out.push("```");
        fence = null;
      } else {
        out.push(line);
      }
      continue;
    }
    const open = FENCE_OPEN.exec(line)?.[1];
    if (open !== undefined) {
      // WhatsApp would show a language tag as the first line of code, so it is dropped.
      fence = open;
      out.push("```");
      continue;
    }
    out.push(convertLine(line));
  }
  if (fence !== null) out.push("```");
  return out.join("\n");
}
