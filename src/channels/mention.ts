// How a mention of someone other than the bot reads in the text the core stores. Adapters
// write the bot's own mention as "@<assistant name>", which the core takes for the trigger;
// a member named "Andy", "Andy Smith" or "@Andy" would read the same as "@Andy" and wake the
// assistant whenever someone mentions them. Only a real mention of the bot's own id, or the
// trigger typed, may do that: such a member's mention is written without any "@".
import { mentionsTrigger } from "../core/router.ts";

/** "@Name", or "Name (not the assistant)" when "@Name" would read as the assistant's trigger. */
export function mentionOf(name: string, assistantName: string): string {
  const written = `@${name}`;
  if (!mentionsTrigger(written, `@${assistantName}`)) return written;
  return `${name.replaceAll("@", "")} (not the assistant)`;
}
