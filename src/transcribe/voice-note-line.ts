// The line a voice note becomes in the chat's text, for the agent and for history.
import type { StoredAttachment } from "../store/messages.ts";
import { clockDuration } from "../time/duration.ts";

/**
 * How a voice note reads in the chat: its transcript, marked as a machine transcription,
 * or why there is none. The line is stored in the message text too, so history and search
 * carry it; it is the sender's words, never an instruction from the system.
 */
export function voiceNoteLine(attachment: StoredAttachment): string | undefined {
  if (!attachment.voice) return undefined;
  const length =
    attachment.durationSeconds === undefined
      ? ""
      : `, ${clockDuration(attachment.durationSeconds)}`;
  const transcription = attachment.transcription;
  if (transcription?.status === "done") {
    return transcription.text
      ? `[voice note${length}, transcribed automatically — may contain errors] ${transcription.text}`
      : `[voice note${length} — transcribed, but no speech was recognised]`;
  }
  const reason =
    transcription?.status === "failed"
      ? transcription.reason
      : (attachment.note ?? "transcription did not finish");
  return `[voice note${length} — not transcribed: ${reason}]`;
}
