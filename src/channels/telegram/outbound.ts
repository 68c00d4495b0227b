// What the Telegram adapter sends, before any call: a reply as rendered HTML pieces, the
// options that put it in a forum topic, an ask_user question's inline keyboard, and whether
// a file goes as a photo or a document.
import type { OutboundFile, SendOptions } from "../channel.ts";
import { TELEGRAM_PHOTO_MAX_BYTES } from "../file-limits.ts";
import { isPlainImage } from "../mime.ts";
import { renderHtml, visibleText } from "../render-html.ts";
import { splitMessage } from "../split.ts";

/** Below Telegram's 4096: rendering never adds visible characters, so a chunk this long fits. */
const SPLIT_LIMIT = 4000;

/** The pieces of a reply, each with the HTML Telegram gets and its source for a plain retry. */
export function htmlPieces(markdown: string): { source: string; html: string }[] {
  return splitMessage(markdown, SPLIT_LIMIT)
    .map((source) => ({ source, html: renderHtml(source) }))
    .filter(({ html }) => visibleText(html).trim() !== "");
}

/** Where a reply goes: its forum topic, if it has one. */
export function replyOptions(options: SendOptions) {
  return {
    ...(options.threadId ? { message_thread_id: Number(options.threadId) } : {}),
  };
}

/** An inline keyboard with one choice per row (labels stay readable). */
export function choicesKeyboard(choices: { id: string; label: string }[]) {
  return {
    reply_markup: {
      inline_keyboard: choices.map((choice) => [{ text: choice.label, callback_data: choice.id }]),
    },
  };
}

/** A caption as Telegram's HTML, if there is one. */
export function captionOptions(caption: string | undefined) {
  return caption ? { caption: renderHtml(caption), parse_mode: "HTML" as const } : {};
}

/**
 * Images Telegram can show go as photos (it recompresses them), the rest as documents.
 * GIFs would arrive as a still photo: they go as documents, which Telegram animates.
 */
export function sendsAsPhoto(file: OutboundFile): boolean {
  return (
    isPlainImage(file.mimeType) &&
    file.mimeType !== "image/gif" &&
    file.size <= TELEGRAM_PHOTO_MAX_BYTES
  );
}
