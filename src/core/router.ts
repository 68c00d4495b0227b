// The routing decisions for one inbound message, as pure functions of the group's settings.
import type { Group } from "../store/groups.ts";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * "@Andy" anywhere as a word, case-insensitive. Adapters turn real mentions of the bot into
 * it, and write nobody else's mention so that it reads like it (channels/mention.ts).
 */
export function mentionsTrigger(text: string, trigger: string): boolean {
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escapeRegExp(trigger)}(?![\\p{L}\\p{N}_])`, "iu").test(
    text,
  );
}

/** Messages Pincer itself puts into a chat (scheduled task runs); allowlists do not apply. */
export const SYSTEM_SENDER_PREFIX = "pincer:";

export function senderAllowed(group: Group, senderId: string): boolean {
  if (senderId.startsWith(SYSTEM_SENDER_PREFIX)) return true;
  return group.allowedSenders === null || group.allowedSenders.includes(senderId);
}

/** Should this message make the assistant answer? */
export function triggers(group: Group, message: { text: string; senderId: string }): boolean {
  if (!senderAllowed(group, message.senderId)) return false;
  if (group.isMain || !group.requiresTrigger) return true;
  return mentionsTrigger(message.text, group.trigger);
}
