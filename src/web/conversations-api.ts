// /api/groups/:folder/messages: a group's message history, both directions, newest page
// last; with q, a full-text search of it instead (best matches first).
import { Hono } from "hono";
import type { Db } from "../store/db.ts";
import { getGroupByFolder } from "../store/groups.ts";
import { history, searchMessages, type StoredMessage } from "../store/messages.ts";
import { outboundFilesOf, type StoredOutboundFile } from "../store/outbound-files.ts";
import { sentFile } from "./sent-files.ts";

/**
 * A message as the API shows it; `sent` is the file the assistant sent with it, if any,
 * with its download URL or why it is no longer kept (`retentionDays` for the web chat's).
 */
export function messageView(
  message: StoredMessage,
  sent: StoredOutboundFile | undefined,
  retentionDays: number,
) {
  return {
    id: message.id,
    direction: message.direction,
    sender: message.senderName,
    senderId: message.senderId,
    text: message.text,
    createdAt: message.timestamp,
    editedAt: message.editedAt,
    deleted: message.deleted,
    attachments: sent
      ? [{ kind: "file", fileName: sent.name, ...sentFile(sent, message.channel, retentionDays) }]
      : (message.attachments ?? []).map((a) => ({ kind: a.kind, fileName: a.fileName })),
  };
}

export type MessageQuery =
  { limit: number; before: number | undefined; q: string | undefined } | { error: string };

export function parseMessageQuery(query: Record<string, string | undefined>): MessageQuery {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    return { error: "limit: expected a whole number from 1 to 500" };
  const before = query.before === undefined ? undefined : Number(query.before);
  if (before !== undefined && (!Number.isInteger(before) || before < 1))
    return { error: "before: expected a message id" };
  const q = query.q?.trim() || undefined;
  if (q !== undefined && q.length > 500) return { error: "q: at most 500 characters" };
  return { limit, before, q };
}

export function groupMessages(
  db: Db,
  group: { channel: string; chatId: string },
  query: Exclude<MessageQuery, { error: string }>,
): StoredMessage[] {
  return query.q
    ? searchMessages(db, group.channel, group.chatId, query.q, query.limit)
    : history(db, group.channel, group.chatId, { beforeId: query.before, limit: query.limit });
}

export function conversationRoutes(deps: { db: Db; retentionDays: number }) {
  const { db, retentionDays } = deps;
  return new Hono().get("/api/groups/:folder/messages", (c) => {
    const group = getGroupByFolder(db, c.req.param("folder"));
    if (!group) return c.json({ error: `no group with folder "${c.req.param("folder")}"` }, 404);
    const query = parseMessageQuery(c.req.query());
    if ("error" in query) return c.json({ error: query.error }, 400);
    const messages = groupMessages(db, group, query);
    const sent = outboundFilesOf(
      db,
      messages.map((m) => m.id),
    );
    return c.json({ messages: messages.map((m) => messageView(m, sent.get(m.id), retentionDays)) });
  });
}
