// The /sync long poll as the adapter runs it (not the SDK's startClient()): one request per
// batch, the token of the last stored batch kept in a file so a restart resumes there, and
// the invites a batch carries, sorted into those from allowed inviters and the rest.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Method, type MatrixClient } from "matrix-js-sdk";
import { writeFileAtomic } from "../../atomic-file.ts";
import type { MatrixRawEvent } from "./inbound.ts";

export interface SyncRoom {
  timeline?: { events?: MatrixRawEvent[] };
  state?: { events?: MatrixRawEvent[] };
  invite_state?: { events?: MatrixRawEvent[] };
}

export interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, SyncRoom>; invite?: Record<string, SyncRoom> };
}

const TOKEN_FILE = "sync-token";

/** One /sync: what happened since `since` (without one, the rooms as they are), waiting up to `timeoutMs`. */
export function sync(
  client: MatrixClient,
  since: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<SyncResponse> {
  const query: Record<string, string> = { timeout: String(timeoutMs) };
  if (since) query.since = since;
  // A long poll that outlives its timeout by far hangs on a dead connection: give up on it.
  // (Not the SDK's localTimeoutMs: its timer is never cleared and would hold the process.)
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs + 30_000)]);
  return client.http.authedRequest<SyncResponse>(Method.Get, "/sync", query, undefined, {
    abortSignal: deadline,
  } as Parameters<MatrixClient["http"]["authedRequest"]>[4]);
}

/** The sync token of the last batch whose events are all stored, in the channel's state dir. */
export class SyncToken {
  readonly #file: string;

  constructor(stateDir: string) {
    this.#file = join(stateDir, TOKEN_FILE);
  }

  async read(): Promise<string | undefined> {
    try {
      return (await readFile(this.#file, "utf8")).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  save(token: string): Promise<void> {
    return writeFileAtomic(this.#file, token);
  }
}

export interface Invite {
  roomId: string;
  inviter: string | undefined;
  allowed: boolean;
}

/** The batch's invites of the bot, each with whether its inviter may invite it. */
export function invitesIn(
  batch: SyncResponse,
  botUserId: string,
  allowedInviters: readonly string[],
): Invite[] {
  return Object.entries(batch.rooms?.invite ?? {}).map(([roomId, room]) => {
    const invite = room.invite_state?.events?.find(
      (event) => event.type === "m.room.member" && event.state_key === botUserId,
    );
    const inviter = invite?.sender;
    return { roomId, inviter, allowed: inviter ? allowedInviters.includes(inviter) : false };
  });
}

/** Joins a room the bot was invited to. */
export async function joinRoom(client: MatrixClient, roomId: string): Promise<void> {
  await client.http.authedRequest(
    Method.Post,
    `/join/${encodeURIComponent(roomId)}`,
    undefined,
    {},
  );
}
