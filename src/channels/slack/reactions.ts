// Slack reactions are named (:eyes:), while the core speaks in emoji characters.
const NAMES: Record<string, string> = {
  "👀": "eyes",
  "✅": "white_check_mark",
  "❌": "x",
  "👍": "+1",
  "👎": "-1",
  "🤔": "thinking_face",
  "⏳": "hourglass_flowing_sand",
  "⚠": "warning",
  "🎉": "tada",
};

/** The Slack reaction name for an emoji character or a ":name:", if known. */
export function reactionName(emoji: string): string | undefined {
  const trimmed = emoji.replace(/\uFE0F/g, "").trim();
  const named = /^:?([a-z0-9_+'-]+):?$/.exec(trimmed);
  if (named) return named[1];
  return NAMES[trimmed];
}
