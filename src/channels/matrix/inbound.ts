// Matrix room events (client-server API, as /sync delivers them) as the core's events. A room
// is a chat and an event id a message id. Mentions: a pill (a matrix.to link in the HTML
// body) or `m.mentions` naming the bot's user id is a real mention and reads "@<assistant>";
// other people's pills read as their names without turning into the trigger. Replies carry
// `m.in_reply_to` (older clients also quote the original as "> <@user> text" at the top of
// the body, which is cut off here). `m.replace` is an edit of the event it names and a
// redaction a delete. Encrypted rooms are not read yet: their events never get here.
import type { Attachment, InboundEvent, InboundMessage } from "../channel.ts";
import { mentionOf } from "../mention.ts";

export interface MatrixRawEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  redacts?: string;
  state_key?: string;
}

export interface RoomContext {
  roomId: string;
  name: string;
  /** More than the bot and one person in it. */
  isGroup: boolean;
  /** Display names of the room's members, by user id. */
  displayNames: ReadonlyMap<string, string>;
}

export interface MatrixIdentity {
  userId: string;
  assistantName: string;
}

/** Fetches an `mxc://` URI's bytes (authenticated media). */
export type MediaReader = (mxc: string) => Promise<Uint8Array>;

interface Relation {
  rel_type?: string;
  event_id?: string;
  "m.in_reply_to"?: { event_id?: string };
}

const PILL =
  /<a\s+href=["']https:\/\/matrix\.to\/#\/((?:@|%40)[^"'?]+)[^"']*["'][^>]*>(.*?)<\/a>/gi;
const MEDIA_KINDS: Record<string, Attachment["kind"]> = {
  "m.image": "image",
  "m.audio": "audio",
  "m.video": "video",
  "m.file": "file",
};

/** "@bea:example.org" -> "bea". */
export function localpart(userId: string): string {
  return userId.replace(/^@/, "").split(":")[0] ?? userId;
}

export function displayName(userId: string, room: RoomContext): string {
  return room.displayNames.get(userId) || localpart(userId);
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** Cuts an older client's reply fallback: leading "> " lines, then one blank line. */
export function stripReplyFallback(body: string): {
  body: string;
  quotedSender?: string;
  quotedText?: string;
} {
  const lines = body.split("\n");
  let quoted = 0;
  while (quoted < lines.length && lines[quoted]!.startsWith("> ")) quoted += 1;
  if (quoted === 0 || lines[quoted] !== "") return { body };
  const quote = lines.slice(0, quoted).map((line) => line.slice(2));
  const first = /^(\* )?<(@[^>]+)> ?(.*)$/.exec(quote[0] ?? "");
  return {
    body: lines.slice(quoted + 1).join("\n"),
    ...(first
      ? { quotedSender: first[2], quotedText: [first[3], ...quote.slice(1)].join("\n") }
      : {}),
  };
}

/** The body with each pill's label rewritten; whether one of them (or m.mentions) is the bot. */
export function resolveMentions(
  content: Record<string, unknown>,
  body: string,
  identity: MatrixIdentity,
): { text: string; mentionsBot: boolean } {
  const mentioned = (content["m.mentions"] as { user_ids?: unknown } | undefined)?.user_ids;
  let mentionsBot = Array.isArray(mentioned) && mentioned.includes(identity.userId);
  let text = body;
  const html =
    typeof content.formatted_body === "string"
      ? content.formatted_body.replace(/<mx-reply>[\s\S]*?<\/mx-reply>/, "")
      : "";
  let from = 0;
  for (const [, userId, rawLabel] of html.matchAll(PILL)) {
    const label = stripTags(rawLabel ?? "");
    const bot = decodeURIComponent(userId!) === identity.userId;
    mentionsBot ||= bot;
    const written = bot
      ? `@${identity.assistantName}`
      : mentionOf(label.replace(/^@/, ""), identity.assistantName);
    const at = label ? text.indexOf(label, from) : -1;
    if (at < 0) continue;
    text = text.slice(0, at) + written + text.slice(at + label.length);
    from = at + written.length;
  }
  // A mention by m.mentions alone (no pill in the text) still reads as the trigger.
  if (mentionsBot && !text.includes(`@${identity.assistantName}`))
    text = `@${identity.assistantName} ${text}`;
  return { text, mentionsBot };
}

function attachmentOf(content: Record<string, unknown>, read: MediaReader): Attachment | undefined {
  const kind = MEDIA_KINDS[String(content.msgtype)];
  const url = content.url;
  if (!kind || typeof url !== "string" || !url.startsWith("mxc://")) return undefined;
  const info = (content.info ?? {}) as { mimetype?: string; size?: number; duration?: number };
  const fileName =
    typeof content.filename === "string" ? content.filename : String(content.body ?? "file");
  return {
    kind,
    fileName,
    ...(info.mimetype ? { mimeType: info.mimetype } : {}),
    ...(typeof info.size === "number" ? { size: info.size } : {}),
    ...(typeof info.duration === "number"
      ? { durationSeconds: Math.round(info.duration / 1000) }
      : {}),
    ...(kind === "audio" && "org.matrix.msc3245.voice" in content ? { voice: true } : {}),
    download: () => read(url),
  };
}

export function translateEvent(
  event: MatrixRawEvent,
  room: RoomContext,
  identity: MatrixIdentity,
  read: MediaReader,
): InboundEvent | null {
  if (event.sender === identity.userId) return null;
  if (event.type === "m.room.redaction") {
    const target = event.redacts ?? (event.content.redacts as string | undefined);
    return target ? { type: "delete", chatId: room.roomId, messageId: target } : null;
  }
  if (event.type !== "m.room.message") return null;
  const content = event.content;
  const relation = (content["m.relates_to"] ?? {}) as Relation;
  if (relation.rel_type === "m.replace" && relation.event_id) {
    const replacement = (content["m.new_content"] ?? content) as Record<string, unknown>;
    const { text } = resolveMentions(replacement, String(replacement.body ?? ""), identity);
    return {
      type: "edit",
      chatId: room.roomId,
      messageId: relation.event_id,
      text,
      timestamp: event.origin_server_ts,
    };
  }
  const attachment = attachmentOf(content, read);
  const rawBody = typeof content.body === "string" ? content.body : "";
  // A media event's body is its file name unless a caption was written (spec v1.10).
  const captioned = attachment
    ? typeof content.filename === "string" && content.filename !== rawBody
      ? rawBody
      : ""
    : rawBody;
  const fallback = stripReplyFallback(captioned);
  const mentions = resolveMentions(content, fallback.body, identity);
  const replyId = relation["m.in_reply_to"]?.event_id;
  const repliesToBot = fallback.quotedSender === identity.userId;
  const message: InboundMessage = {
    chatId: room.roomId,
    messageId: event.event_id,
    senderId: event.sender,
    senderName: displayName(event.sender, room),
    text:
      content.msgtype === "m.emote"
        ? `* ${displayName(event.sender, room)} ${mentions.text}`
        : mentions.text,
    timestamp: event.origin_server_ts,
    isGroup: room.isGroup,
    chatName: room.name,
    mentionsBot: mentions.mentionsBot || repliesToBot,
    ...(replyId
      ? {
          replyTo: {
            messageId: replyId,
            senderName: repliesToBot
              ? identity.assistantName
              : fallback.quotedSender
                ? displayName(fallback.quotedSender, room)
                : "",
            text: fallback.quotedText ?? "",
          },
        }
      : {}),
    ...(attachment ? { attachments: [attachment] } : {}),
  };
  return { type: "message", message };
}
