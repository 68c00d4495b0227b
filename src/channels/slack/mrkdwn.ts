// Markdown, as the agent writes it, to Slack's mrkdwn dialect: *bold*, _italic_, ~strike~,
// <url|label> links, no headings, and `&`, `<`, `>` escaped as entities everywhere (code
// included), since Slack reads raw `<…>` as its own control sequences. Slack's own tokens
// the agent may write on purpose (<@U…> mentions, <#C…> channels, <!here>) pass through.

const FENCE_OPEN = /^\s{0,3}(`{3,}|~{3,})/;
const FENCE_CLOSE = /^\s{0,3}(`{3,}|~{3,})\s*$/;
const PRIVATE_USE = /[\uE000-\uE002]/g;
const SLOT = /\uE000(\d+)\uE001/g;
const BOLD = "\uE002";

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeUrl(url: string): string {
  return escapeMrkdwn(url).replace(/\|/g, "%7C");
}

function link(url: string, label: string): string {
  const text = label.trim();
  if (text === "" || text === url) return `<${escapeUrl(url)}>`;
  return `<${escapeUrl(url)}|${escapeMrkdwn(text)}>`;
}

/** Converts one line of prose (no code fences). */
function convertInline(line: string): string {
  const slots: string[] = [];
  const keep = (raw: string): string => `\uE000${slots.push(raw) - 1}\uE001`;
  let out = line
    .replace(/\\([\\`*_{}[\]()#+\-.!~|>])/g, (_, char: string) => keep(escapeMrkdwn(char)))
    .replace(/`([^`\n]+)`/g, (_, code: string) => keep("`" + escapeMrkdwn(code) + "`"))
    .replace(
      /!?\[([^\]\n]*)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g,
      (_, label: string, url: string) => keep(link(url, label)),
    )
    .replace(/<((?:https?|mailto):[^<>\s]+)>/g, (_, url: string) => keep(`<${escapeUrl(url)}>`))
    .replace(/<[@#!][^<>\s]+>/g, (token) => keep(token));
  out = escapeMrkdwn(out)
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
  if (quote) return `&gt; ${convertLine(quote[1] ?? "")}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1] ?? ""}• ${convertInline(bullet[2] ?? "")}`;
  return convertInline(line);
}

export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.replace(/\r\n?/g, "\n").replace(PRIVATE_USE, "").split("\n")) {
    if (fence !== null) {
      const close = FENCE_CLOSE.exec(line)?.[1];
      if (close !== undefined && close[0] === fence[0] && close.length >= fence.length) {
        out.push("```");
        fence = null;
      } else {
        out.push(escapeMrkdwn(line));
      }
      continue;
    }
    const open = FENCE_OPEN.exec(line)?.[1];
    if (open !== undefined) {
      // Slack shows a language tag as the first line of code, so it is dropped.
      fence = open;
      out.push("```");
      continue;
    }
    out.push(convertLine(line));
  }
  if (fence !== null) out.push("```");
  return out.join("\n");
}
