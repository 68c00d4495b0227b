// The bodies of what the bot posts on Discord: a reply's text, an ask_user question with its
// buttons, a file with its caption, and a question closed. Agent text may contain
// "@everyone" or role mentions; in all of them only explicit user mentions ping.
import { ButtonStyle, ComponentType } from "discord.js";

const ALLOWED_MENTIONS = { parse: ["users"], replied_user: true };

export function textBody(content: string) {
  return { content, allowed_mentions: ALLOWED_MENTIONS };
}

/** The question with one button per choice, in one action row (at most five fit). */
export function choicesBody(question: string, choices: { id: string; label: string }[]) {
  return {
    ...textBody(question),
    components: [
      {
        type: ComponentType.ActionRow,
        components: choices.map((choice) => ({
          type: ComponentType.Button,
          style: ButtonStyle.Secondary,
          label: choice.label,
          custom_id: choice.id,
        })),
      },
    ],
  };
}

/** One message with the file attached (sent as the request's first file) and the caption as its content. */
export function fileBody(fileName: string, caption: string | undefined) {
  return { ...textBody(caption ?? ""), attachments: [{ id: 0, filename: fileName }] };
}

/** The question with its buttons removed, showing the outcome when there is one. */
export function closedChoicesBody(text: string | null) {
  return text === null ? { components: [] } : { content: text, components: [] };
}
