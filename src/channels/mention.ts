// How a mention of someone other than the bot reads in the text the core stores. Adapters
// write the bot's own mention as "@<assistant name>", which the core takes for the trigger;
// a member named "Andy", "Andy Smith" or "@Andy" would read the same as "@Andy" and wake the
// assistant whenever someone mentions them. Only a real mention of the bot's own id, or the
// trigger typed, may do that: such a member's mention is written without any "@".

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * "@Andy" anywhere as a word, case-insensitive. Adapters turn real mentions of the bot into
 * it, and write nobody else's mention so that it reads like it.
 */
export function mentionsTrigger(text: string, trigger: string): boolean {
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escapeRegExp(trigger)}(?![\\p{L}\\p{N}_])`, "iu").test(
    text,
  );
}

/** "@Name", or "Name (not the assistant)" when "@Name" would read as the assistant's trigger. */
export function mentionOf(name: string, assistantName: string): string {
  const written = `@${name}`;
  if (!mentionsTrigger(written, `@${assistantName}`)) return written;
  return `${name.replaceAll("@", "")} (not the assistant)`;
}
