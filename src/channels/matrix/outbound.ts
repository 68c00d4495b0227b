// What the bot posts in a room, as m.room.message and m.reaction contents: a reply's text as
// a plain body plus the rendered HTML, an edit as an m.replace of the event it replaces, a
// file as m.image or m.file after its upload, and a reaction as an m.annotation.
import type { OutboundFile } from "../channel.ts";
import { isPlainImage } from "../mime.ts";
import { renderHtml, withLineBreaks } from "../render-html.ts";
import { styledText } from "../styled-text.ts";

/** Markdown as a message's plain `body` and its `formatted_body`. */
export function formatted(markdown: string) {
  return {
    body: styledText(markdown).text,
    format: "org.matrix.custom.html",
    formatted_body: withLineBreaks(renderHtml(markdown)),
  };
}

export function textContent(markdown: string) {
  return { msgtype: "m.text", ...formatted(markdown) };
}

/** Replaces `eventId`'s text: clients show the new one in place; "* " marks the fallback body. */
export function editContent(content: ReturnType<typeof textContent>, eventId: string) {
  return {
    ...content,
    body: `* ${content.body}`,
    "m.new_content": content,
    "m.relates_to": { rel_type: "m.replace", event_id: eventId },
  };
}

/**
 * An uploaded file (`url`: its mxc URI) as m.image, which clients show inline, or m.file. As
 * Matrix 1.10 captions media: `filename` names the file and `body` is the caption when there
 * is one, else the name too.
 */
export function fileContent(file: OutboundFile, url: string, caption: string | undefined) {
  return {
    msgtype: isPlainImage(file.mimeType) ? "m.image" : "m.file",
    ...(caption ? formatted(caption) : { body: file.name }),
    filename: file.name,
    url,
    info: { mimetype: file.mimeType, size: file.size },
  };
}

export function reactionContent(eventId: string, emoji: string) {
  return { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key: emoji } };
}
