// Slack message text to what the core stores: Slack writes mentions, channels and links as
// <…> tokens and escapes &, <, > as entities. The bot's own mention becomes
// "@<assistantName>" so the core's typed-trigger rules see the assistant's name; nobody
// else's reads like it (see mention.ts).
import { mentionOf } from "../mention.ts";

const USER_MENTION = /<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/g;

export interface InboundTextContext {
  botUserId: string;
  assistantName: string;
  /** Display names of the users mentioned in the text, by user id. */
  userNames: ReadonlyMap<string, string>;
}

export function mentionedUserIds(text: string): string[] {
  return [...new Set([...text.matchAll(USER_MENTION)].map((match) => match[1] ?? ""))];
}

export function mentionsUser(text: string, userId: string): boolean {
  return mentionedUserIds(text).includes(userId);
}

function linkText(target: string, label: string | undefined): string {
  if (label === undefined || target.includes(label)) return target;
  return `[${label}](${target})`;
}

export function slackTextToMarkdown(text: string, context: InboundTextContext): string {
  return text
    .replace(USER_MENTION, (_, id: string, label: string | undefined) =>
      id === context.botUserId
        ? `@${context.assistantName}`
        : mentionOf(context.userNames.get(id) ?? label ?? id, context.assistantName),
    )
    .replace(
      /<#([A-Z0-9]+)(?:\|([^>]*))?>/g,
      (_, id: string, name: string | undefined) => `#${name || id}`,
    )
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>/g, (_, label: string | undefined) =>
      label ? mentionOf(label.replace(/^@/, ""), context.assistantName) : "@group",
    )
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, "$1")
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, "@$1")
    .replace(/<([^<>|]+)(?:\|([^<>]*))?>/g, (_, target: string, label: string | undefined) =>
      linkText(target, label),
    )
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Slack timestamps ("1700000000.123456") are seconds with microseconds. */
export function slackTsToMs(ts: string): number {
  return Math.floor(Number(ts) * 1000);
}
