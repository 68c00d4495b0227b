// Bots may only react with Telegram's fixed set of emoji; anything else is REACTION_INVALID.
import type { ReactionTypeEmoji } from "grammy/types";

type ReactionEmoji = ReactionTypeEmoji["emoji"];

// prettier-ignore
const ALLOWED: ReadonlySet<string> = new Set<ReactionEmoji>([
  "👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "🤯", "😱", "🤬", "😢", "🎉", "🤩", "🤮",
  "💩", "🙏", "👌", "🕊", "🤡", "🥱", "🥴", "😍", "🐳", "❤‍🔥", "🌚", "🌭", "💯", "🤣", "⚡",
  "🍌", "🏆", "💔", "🤨", "😐", "🍓", "🍾", "💋", "🖕", "😈", "😴", "😭", "🤓", "👻", "👨‍💻",
  "👀", "🎃", "🙈", "😇", "😨", "🤝", "✍", "🤗", "🫡", "🎅", "🎄", "☃", "💅", "🤪", "🗿",
  "🆒", "💘", "🙉", "🦄", "😘", "💊", "🙊", "😎", "👾", "🤷‍♂", "🤷", "🤷‍♀", "😡",
]);

// The core marks a finished turn with ✅ or ❌, which are not in Telegram's set; these are
// the closest ones that are.
const SUBSTITUTES: Readonly<Record<string, ReactionEmoji>> = {
  "✅": "👍",
  "✔": "👍",
  "❌": "👎",
  "✖": "👎",
};

/** Telegram lists its emoji without the U+FE0F presentation selector ("❤", not "❤️"). */
export function toReactionEmoji(emoji: string): ReactionEmoji {
  const bare = emoji.replace(/\uFE0F/g, "");
  const substitute = SUBSTITUTES[bare];
  if (substitute) return substitute;
  if (!ALLOWED.has(bare)) throw new Error(`Telegram does not offer "${emoji}" as a reaction`);
  return bare as ReactionEmoji;
}
