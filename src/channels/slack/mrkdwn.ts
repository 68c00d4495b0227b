// Markdown to Slack's mrkdwn: <url|label> links, and `&`, `<`, `>` escaped as entities
// everywhere (code included), since Slack reads raw `<…>` as its own control sequences.
// Slack's own tokens the agent may write on purpose (<@U…> mentions, <#C…> channels,
// <!here>) pass through.
import { markdownToStarMarkup, type StarDialect } from "../star-markup.ts";

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeUrl(url: string): string {
  return escapeMrkdwn(url).replace(/\|/g, "%7C");
}

const MRKDWN: StarDialect = {
  escape: escapeMrkdwn,
  link: (url, label) =>
    label === "" || label === url
      ? `<${escapeUrl(url)}>`
      : `<${escapeUrl(url)}|${escapeMrkdwn(label)}>`,
  ownTokens: /<[@#!][^<>\s]+>/g,
  quote: "&gt;",
  bullet: "•",
};

export function markdownToMrkdwn(markdown: string): string {
  return markdownToStarMarkup(MRKDWN, markdown);
}
