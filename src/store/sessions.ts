// The Agent SDK session id of each group, so a conversation resumes after idling or a restart.
import { type Db, sql } from "./db.ts";

export function getSessionId(db: Db, groupId: number): string | undefined {
  const row = sql(db, "SELECT session_id FROM agent_sessions WHERE group_id = ?").get(groupId) as
    { session_id: string } | undefined;
  return row?.session_id;
}

export function saveSessionId(db: Db, groupId: number, sessionId: string, now: number): void {
  sql(
    db,
    `INSERT INTO agent_sessions (group_id, session_id, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (group_id) DO UPDATE SET session_id = excluded.session_id, updated_at = excluded.updated_at`,
  ).run(groupId, sessionId, now);
}

export function clearSessionId(db: Db, groupId: number): void {
  sql(db, "DELETE FROM agent_sessions WHERE group_id = ?").run(groupId);
}
