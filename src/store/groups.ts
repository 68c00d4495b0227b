// Registered chats ("groups"), their settings and processing watermark, and the chats
// that adapters have discovered but nobody has registered.
import { transaction, type Db, sql } from "./db.ts";

export interface Group {
  id: number;
  channel: string;
  chatId: string;
  folder: string;
  name: string;
  trigger: string;
  requiresTrigger: boolean;
  isMain: boolean;
  allowedSenders: string[] | null;
  dropOthers: boolean;
  watermark: number;
  /** The Unix user its agent runs as when the service is root; null until first needed. */
  agentUid: number | null;
  /** The model its agent asks for; null = the service's MODEL. */
  model: string | null;
  /** How hard the model reasons; null = the model's default. */
  effort: Effort | null;
  /** Whether replies are shown as they are written; null = the service's STREAMING. */
  streaming: boolean | null;
  createdAt: number;
}

/** The reasoning effort levels Claude Code takes (its `--effort`). */
export const EFFORT_LEVELS = ["low", "medium", "high", "xhigh", "max"] as const;
export type Effort = (typeof EFFORT_LEVELS)[number];

interface GroupRow {
  id: number;
  channel: string;
  chat_id: string;
  folder: string;
  name: string;
  trigger_word: string;
  requires_trigger: number;
  is_main: number;
  allowed_senders: string | null;
  drop_others: number;
  watermark: number;
  agent_uid: number | null;
  model: string | null;
  effort: string | null;
  streaming: number | null;
  created_at: number;
}

function toGroup(row: GroupRow): Group {
  return {
    id: row.id,
    channel: row.channel,
    chatId: row.chat_id,
    folder: row.folder,
    name: row.name,
    trigger: row.trigger_word,
    requiresTrigger: row.requires_trigger === 1,
    isMain: row.is_main === 1,
    allowedSenders: row.allowed_senders ? (JSON.parse(row.allowed_senders) as string[]) : null,
    dropOthers: row.drop_others === 1,
    watermark: row.watermark,
    agentUid: row.agent_uid,
    model: row.model,
    effort: (EFFORT_LEVELS as readonly string[]).includes(row.effort ?? "")
      ? (row.effort as Effort)
      : null,
    streaming: row.streaming === null ? null : row.streaming === 1,
    createdAt: row.created_at,
  };
}

/** Folder names become paths: lower-case letters, digits, '-' and '_' only. */
export const FOLDER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const RESERVED_FOLDERS = new Set(["global"]);

export function folderProblem(folder: string): string | undefined {
  if (!FOLDER_PATTERN.test(folder)) {
    return `folder "${folder.slice(0, 80)}" is not allowed: use 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit`;
  }
  if (RESERVED_FOLDERS.has(folder)) return `folder "${folder}" is reserved`;
  return undefined;
}

/** A folder name derived from a chat's name, unique among registered groups. */
export function suggestFolder(db: Db, name: string): string {
  const base =
    name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48) || "group";
  const safe = RESERVED_FOLDERS.has(base) ? `${base}-chat` : base;
  let candidate = safe;
  for (let n = 2; getGroupByFolder(db, candidate); n++) candidate = `${safe}-${n}`;
  return candidate;
}

export interface NewGroup {
  channel: string;
  chatId: string;
  folder: string;
  name: string;
  trigger: string;
  requiresTrigger: boolean;
  isMain: boolean;
}

export function insertGroup(db: Db, group: NewGroup, now: number): Group {
  const problem = folderProblem(group.folder);
  if (problem) throw new Error(problem);
  // A new group starts after everything already stored for its chat: registering a
  // chat must not make the assistant answer its whole backlog.
  const { maxId } = sql(
    db,
    "SELECT COALESCE(MAX(id), 0) AS maxId FROM messages WHERE channel = ? AND chat_id = ?",
  ).get(group.channel, group.chatId) as { maxId: number };
  const row = sql(
    db,
    `INSERT INTO groups (channel, chat_id, folder, name, trigger_word, requires_trigger, is_main, watermark, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    group.channel,
    group.chatId,
    group.folder,
    group.name,
    group.trigger,
    group.requiresTrigger ? 1 : 0,
    group.isMain ? 1 : 0,
    maxId,
    now,
  ) as unknown as GroupRow;
  return toGroup(row);
}

export function getGroup(db: Db, id: number): Group | undefined {
  const row = sql(db, "SELECT * FROM groups WHERE id = ?").get(id) as GroupRow | undefined;
  return row && toGroup(row);
}

export function getGroupByChat(db: Db, channel: string, chatId: string): Group | undefined {
  const row = sql(db, "SELECT * FROM groups WHERE channel = ? AND chat_id = ?").get(
    channel,
    chatId,
  ) as GroupRow | undefined;
  return row && toGroup(row);
}

export function getGroupByFolder(db: Db, folder: string): Group | undefined {
  const row = sql(db, "SELECT * FROM groups WHERE folder = ?").get(folder) as GroupRow | undefined;
  return row && toGroup(row);
}

export function listGroups(db: Db): Group[] {
  return (sql(db, "SELECT * FROM groups ORDER BY id").all() as unknown as GroupRow[]).map(toGroup);
}

export function setWatermark(db: Db, groupId: number, messageId: number): void {
  sql(db, "UPDATE groups SET watermark = MAX(watermark, ?) WHERE id = ?").run(messageId, groupId);
}

export interface DiscoveredChatRow {
  channel: string;
  chatId: string;
  name: string;
  isGroup: boolean;
  lastMessageAt: number | null;
  registered: boolean;
}

export function upsertChat(
  db: Db,
  chat: { channel: string; chatId: string; name: string; isGroup: boolean },
  lastMessageAt?: number,
): void {
  sql(
    db,
    `INSERT INTO chats (channel, chat_id, name, is_group, last_message_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (channel, chat_id) DO UPDATE SET
       name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE chats.name END,
       is_group = excluded.is_group,
       last_message_at = COALESCE(excluded.last_message_at, chats.last_message_at)`,
  ).run(chat.channel, chat.chatId, chat.name, chat.isGroup ? 1 : 0, lastMessageAt ?? null);
}

export function listChats(db: Db): DiscoveredChatRow[] {
  const rows = sql(
    db,
    `SELECT c.channel, c.chat_id, c.name, c.is_group, c.last_message_at, g.id IS NOT NULL AS registered
       FROM chats c LEFT JOIN groups g ON g.channel = c.channel AND g.chat_id = c.chat_id
       ORDER BY c.last_message_at DESC NULLS LAST`,
  ).all() as {
    channel: string;
    chat_id: string;
    name: string;
    is_group: number;
    last_message_at: number | null;
    registered: number;
  }[];
  return rows.map((row) => ({
    channel: row.channel,
    chatId: row.chat_id,
    name: row.name,
    isGroup: row.is_group === 1,
    lastMessageAt: row.last_message_at,
    registered: row.registered === 1,
  }));
}

export interface GroupSettings {
  name?: string | undefined;
  trigger?: string | undefined;
  requiresTrigger?: boolean | undefined;
  allowedSenders?: string[] | null | undefined;
  dropOthers?: boolean | undefined;
  model?: string | null | undefined;
  effort?: Effort | null | undefined;
  streaming?: boolean | null | undefined;
}

export function updateGroupSettings(
  db: Db,
  id: number,
  settings: GroupSettings,
): Group | undefined {
  const current = getGroup(db, id);
  if (!current) return undefined;
  const next = {
    ...current,
    ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
  };
  sql(
    db,
    "UPDATE groups SET name = ?, trigger_word = ?, requires_trigger = ?, allowed_senders = ?, drop_others = ?, model = ?, effort = ?, streaming = ? WHERE id = ?",
  ).run(
    next.name,
    next.trigger,
    next.requiresTrigger ? 1 : 0,
    next.allowedSenders === null ? null : JSON.stringify(next.allowedSenders),
    next.dropOthers ? 1 : 0,
    next.model,
    next.effort,
    next.streaming === null ? null : next.streaming ? 1 : 0,
    id,
  );
  return getGroup(db, id);
}

export function deleteGroup(db: Db, id: number): void {
  sql(db, "DELETE FROM agent_sessions WHERE group_id = ?").run(id);
  sql(db, "DELETE FROM groups WHERE id = ? AND is_main = 0").run(id);
}

/**
 * Gives the group a Unix uid of its own: the lowest one at or above `base` that was never
 * given to any group (unregistered ones included) and `taken` does not reject (e.g. a uid
 * the system already uses).
 */
export function assignAgentUid(
  db: Db,
  groupId: number,
  base: number,
  taken: (uid: number) => boolean,
): number {
  return assignUid(db, groupId, "agent_uid", base, taken);
}

/**
 * The uid the group's stdio MCP servers run as, a second one of its own (the agent must
 * not share it: a process can read the environment of its own uid's processes).
 */
export function assignMcpUid(
  db: Db,
  groupId: number,
  base: number,
  taken: (uid: number) => boolean,
): number {
  return assignUid(db, groupId, "mcp_uid", base, taken);
}

/** Every uid the group was ever given (its agent's, its MCP servers'), kept after it is unregistered. */
export function uidsOfGroup(db: Db, groupId: number): number[] {
  return (
    sql(db, "SELECT uid FROM agent_uids WHERE group_id = ? ORDER BY uid").all(groupId) as {
      uid: number;
    }[]
  ).map((row) => row.uid);
}

function assignUid(
  db: Db,
  groupId: number,
  column: "agent_uid" | "mcp_uid",
  base: number,
  taken: (uid: number) => boolean,
): number {
  const current = sql(db, `SELECT folder, ${column} AS uid FROM groups WHERE id = ?`).get(
    groupId,
  ) as { folder: string; uid: number | null } | undefined;
  if (!current) throw new Error(`no group with id ${groupId}`);
  if (current.uid !== null) return current.uid;
  const ever = new Set(
    (sql(db, "SELECT uid FROM agent_uids").all() as { uid: number }[]).map((row) => row.uid),
  );
  let uid = base;
  while (ever.has(uid) || taken(uid)) uid++;
  transaction(db, () => {
    sql(db, "INSERT INTO agent_uids (uid, group_id, folder, assigned_at) VALUES (?, ?, ?, ?)").run(
      uid,
      groupId,
      current.folder,
      Date.now(),
    );
    sql(db, `UPDATE groups SET ${column} = ? WHERE id = ?`).run(uid, groupId);
  });
  return uid;
}
