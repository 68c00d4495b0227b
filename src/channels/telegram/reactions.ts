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

/** Telegram lists its emoji without the U+FE0F presentation selector ("❤", not "❤️"). */
export function toReactionEmoji(emoji: string): ReactionEmoji {
  const bare = emoji.replace(/\uFE0F/g, "");
  if (!ALLOWED.has(bare)) throw new Error(`Telegram does not offer "${emoji}" as a reaction`);
  return bare as ReactionEmoji;
}
