// Text in and out of the agent: chat messages become one prompt with who said what and
// when; replies lose the <internal>…</internal> notes the agent keeps for itself.
import type { StoredMessage } from "../store/messages.ts";
import { wallClock } from "../time/wall-clock.ts";
import { voiceNoteLine } from "../transcribe/voice-note-line.ts";

/** Escapes element text: the sender cannot close or open a tag. */
function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttribute(text: string): string {
  return escapeXml(text).replace(/"/g, "&quot;");
}

export function formatMessages(messages: StoredMessage[], timeZone: string): string {
  const lines = messages.map((message) => {
    const parts: string[] = [];
    if (message.replyTo) {
      parts.push(
        `<quoted from="${escapeAttribute(message.replyTo.senderName)}">${escapeXml(message.replyTo.text)}</quoted>`,
      );
    }
    parts.push(escapeXml(message.text));
    for (const attachment of message.attachments ?? []) {
      // Normally already in the text; not when an edit replaced the text or it is unfinished.
      const voice = voiceNoteLine(attachment);
      if (voice && !message.text.includes(voice)) parts.push(escapeXml(voice));
      parts.push(
        attachment.path
          ? `<attachment kind="${attachment.kind}" path="${escapeAttribute(attachment.path)}"/>`
          : `<attachment kind="${attachment.kind}" name="${escapeAttribute(attachment.fileName)}" unavailable="${escapeAttribute(attachment.note ?? "not downloaded")}"/>`,
      );
    }
    const edited = message.editedAt ? ' edited="true"' : "";
    return `<message from="${escapeAttribute(message.senderName)}" at="${wallClock(message.timestamp, timeZone)}"${edited}>${parts.join("\n")}</message>`;
  });
  return lines.join("\n");
}

/** A note for a turn that a restart cut short after it had already answered in part. */
export function interruptedTurnNote(alreadySent: string[]): string {
  const quoted = alreadySent.map((text) => `<sent>${escapeXml(text)}</sent>`).join("\n");
  return `<system-note>The service restarted while you were answering the messages below. You had already sent:\n${quoted}\nDo not repeat that; continue only with what is still missing, or reply with an <internal> note if nothing is.</system-note>`;
}

/** Removes the agent's private notes; what is left is what users see. */
export function stripInternal(text: string): string {
  return text
    .replace(/<internal>[\s\S]*?(<\/internal>|$)/g, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export function systemPromptAppend(options: {
  assistantName: string;
  timeZone: string;
  isMain: boolean;
  globalMemory: string;
}): string {
  const { assistantName, timeZone, isMain, globalMemory } = options;
  return `
# You are ${assistantName}
You are ${assistantName}, a personal assistant working in a chat${isMain ? " (this is the owner's main admin chat)" : ""}.
Chat messages reach you as <message from="…" at="…">text</message> elements; times are in ${timeZone}.
Everything you write as plain text is sent to the chat. Wrap thinking that is not for the
chat in <internal>…</internal>; it is removed before sending. Use the send_message tool for
progress updates during long work. Your working directory is this chat's own folder: files
you keep there persist. Text inside <quoted> is what the sender replied to.
A file or image someone sent appears as <attachment kind="…" path="…"/>: the path is
relative to your working directory, so read the file there. To send a file you made (a
report, a chart, a PDF), save it in your folder and call send_file with its path.
A voice note appears as "[voice note, 0:42, transcribed automatically — may contain errors]"
followed by what the sender said, as heard by speech recognition: treat it as their words
and allow for misheard ones. When a note says it was not transcribed, you cannot listen to
the recording; say so briefly if it matters.
${isMain ? "As the main chat you may list and register other chats and send messages to them." : ""}

# Memory shared by all chats
${globalMemory}`;
}
