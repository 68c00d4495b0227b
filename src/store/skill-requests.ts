// Skill installs the main chat's agent asked for, waiting for the owner's decision.
import { type Db, sql } from "./db.ts";

export type SkillRequestStatus = "pending" | "installed" | "rejected" | "failed";

export interface SkillRequest {
  id: number;
  /** The group whose agent asked. */
  requestedBy: number;
  url: string;
  ref: string | null;
  subpath: string | null;
  /** The group's folder it is for; null = every group. */
  target: string | null;
  reason: string;
  status: SkillRequestStatus;
  /** What the decision led to: the installed skill's name, or why it failed. */
  outcome: string | null;
  createdAt: number;
  decidedAt: number | null;
}

const COLUMNS = `id, requested_by AS requestedBy, url, ref, subpath, target, reason, status, outcome,
  created_at AS createdAt, decided_at AS decidedAt`;

export function insertSkillRequest(
  db: Db,
  request: Pick<SkillRequest, "requestedBy" | "url" | "ref" | "subpath" | "target" | "reason">,
  now: number,
): SkillRequest {
  return sql(
    db,
    `INSERT INTO skill_requests (requested_by, url, ref, subpath, target, reason, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  ).get(
    request.requestedBy,
    request.url,
    request.ref,
    request.subpath,
    request.target,
    request.reason,
    now,
  ) as unknown as SkillRequest;
}

export function getSkillRequest(db: Db, id: number): SkillRequest | undefined {
  return sql(db, `SELECT ${COLUMNS} FROM skill_requests WHERE id = ?`).get(id) as
    SkillRequest | undefined;
}

export function pendingSkillRequests(db: Db): SkillRequest[] {
  return sql(
    db,
    `SELECT ${COLUMNS} FROM skill_requests WHERE status = 'pending' ORDER BY id`,
  ).all() as unknown as SkillRequest[];
}

/** Records the owner's decision on a pending request; false if it was no longer pending. */
export function decideSkillRequest(
  db: Db,
  id: number,
  status: Exclude<SkillRequestStatus, "pending">,
  outcome: string | null,
  now: number,
): boolean {
  const result = sql(
    db,
    "UPDATE skill_requests SET status = ?, outcome = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
  ).run(status, outcome, now, id);
  return Number(result.changes) === 1;
}
