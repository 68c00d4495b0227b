// How much of a chat's unanswered backlog goes into one prompt. After an outage or a flood
// the backlog can be thousands of messages: all of them in one turn would overflow the
// model's context window (the turn fails, and fails again at every retry) and spend a day's
// budget on one call. The prompt keeps the newest messages and says how many earlier ones
// it left out; those stay in the chat's history, where search_history finds them.
import type { StoredMessage } from "../store/messages.ts";
import { formatMessages } from "./format.ts";

export interface BacklogLimits {
  messages: number;
  chars: number;
}

// 200 messages is more than a person reads back through in a busy group chat; 100,000
// characters (about 25,000 tokens) leaves most of a 200k-token context window for the
// system prompt, memory, tools and the agent's own work, and bounds what one turn costs.
export const BACKLOG_LIMITS: BacklogLimits = { messages: 200, chars: 100_000 };

/**
 * The prompt for `pending` (oldest first): the newest messages within `limits`, always at
 * least the newest one, preceded by a note when earlier ones were left out.
 */
export function backlogPrompt(
  pending: StoredMessage[],
  timeZone: string,
  limits: BacklogLimits = BACKLOG_LIMITS,
): string {
  const lines: string[] = [];
  let chars = 0;
  for (let i = pending.length - 1; i >= 0 && lines.length < limits.messages; i--) {
    const line = formatMessages([pending[i]!], timeZone);
    if (lines.length > 0 && chars + line.length > limits.chars) break;
    lines.push(line);
    chars += line.length + 1;
  }
  const omitted = pending.length - lines.length;
  const shown = lines.reverse().join("\n");
  if (omitted === 0) return shown;
  return `<system-note>${omitted} earlier unanswered message${omitted === 1 ? " was" : "s were"} left out of this prompt (too many to read at once). They are in this chat's history: use search_history if they matter.</system-note>\n${shown}`;
}
