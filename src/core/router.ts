// The routing decisions for one inbound message, as pure functions of the group's settings.
import { mentionsTrigger } from "../channels/mention.ts";
import type { Group } from "../store/groups.ts";

/** Messages Pincer itself puts into a chat (scheduled task runs); allowlists do not apply. */
export const SYSTEM_SENDER_PREFIX = "pincer:";

export function senderAllowed(group: Group, senderId: string): boolean {
  if (senderId.startsWith(SYSTEM_SENDER_PREFIX)) return true;
  return group.allowedSenders === null || group.allowedSenders.includes(senderId);
}

/**
 * Should this message make the assistant answer? A platform mention of the bot (or a reply
 * to one of its messages, where the platform tells) counts like the typed trigger.
 */
export function triggers(
  group: Group,
  message: { text: string; senderId: string; mentionsBot?: boolean },
): boolean {
  if (!senderAllowed(group, message.senderId)) return false;
  if (group.isMain || !group.requiresTrigger || message.mentionsBot) return true;
  return mentionsTrigger(message.text, group.trigger);
}
