// /api/skills: the skills the owner installed (GET), installing one from a git repository
// (POST JSON) or an uploaded tar.gz (POST with the archive as the body, read as it streams
// in), moving a git skill's pin (update), removing one (DELETE), and deciding the requests
// the main chat's agent filed.
import { Hono, type Context } from "hono";
import type { BlankEnv } from "hono/types";
import { z } from "zod";
import type { Db } from "../store/db.ts";
import { getGroupByFolder } from "../store/groups.ts";
import {
  decideSkillRequest,
  getSkillRequest,
  pendingSkillRequests,
} from "../store/skill-requests.ts";
import { SkillProblem } from "../skills/skill-files.ts";
import type { Skills } from "../skills/skills.ts";
import { readJsonBody, type JsonInput } from "./json-body.ts";

/** Compressed bytes an upload may have; unpacked, the skill limits apply (skill-files.ts). */
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const TOO_LARGE = `the archive is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`;

const gitBody = z
  .object({
    url: z.string({ error: "url: expected the git repository's URL" }).min(1).max(2000),
    ref: z.string().min(1).max(200).optional(),
    subpath: z.string().min(1).max(500).optional(),
    /** A group's folder; omitted or null = every group. */
    group: z.string().min(1).max(64).nullable().optional(),
  })
  .strict();

/** Archives come as the body itself: no multipart, so nothing is held before it is checked. */
const ARCHIVE_TYPES = [
  "application/gzip",
  "application/x-gzip",
  "application/x-tar",
  "application/octet-stream",
];

function isArchive(c: Context): boolean {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  return ARCHIVE_TYPES.includes(type);
}

/** How much of a refused upload is still read (and dropped) so the client gets the answer. */
const DISCARD_CAP = 1024 * 1024 * 1024;

/** The request body, stopped with a 413 once it passes the limit (never buffered whole). */
async function* capped(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let total = 0;
  // Not cancelled when the reading stops early: that would reset the connection before
  // the refusal is sent (see discardRest).
  for await (const chunk of body.values({ preventCancel: true })) {
    total += chunk.byteLength;
    if (total > MAX_UPLOAD_BYTES) throw new SkillProblem(TOO_LARGE, 413);
    yield chunk;
  }
}

/**
 * Reads what is left of a refused upload and drops it, up to a cap, so a client that is
 * still sending gets the refusal instead of a reset connection (as body-limit.ts does).
 */
async function discardRest(body: ReadableStream<Uint8Array>): Promise<void> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > DISCARD_CAP) break;
  }
}

function failure(c: Context, error: unknown) {
  if (error instanceof SkillProblem) return c.json({ error: error.message }, error.status);
  throw error;
}

export function skillRoutes(deps: { db: Db; skills: Skills }) {
  const { db, skills } = deps;
  const unknownGroup = (folder: string | null | undefined) =>
    folder != null && !getGroupByFolder(db, folder)
      ? `group: no group with folder "${folder}"`
      : undefined;

  return new Hono()
    .get("/api/skills", async (c) =>
      c.json({ skills: await skills.list(), requests: pendingSkillRequests(db) }),
    )
    .post("/api/skills", async (c: Context<BlankEnv, "/api/skills", JsonInput<typeof gitBody>>) => {
      try {
        if (isArchive(c)) {
          const declared = Number(c.req.header("content-length") ?? NaN);
          if (declared > MAX_UPLOAD_BYTES) return c.json({ error: TOO_LARGE }, 413);
          const group = c.req.query("group") || null;
          const problem = unknownGroup(group);
          if (problem) return c.json({ error: problem }, 400);
          const body = c.req.raw.body;
          if (!body)
            return c.json({ error: "the body is empty: send the tar.gz as the body" }, 400);
          const skill = await skills
            .installFromArchive(capped(body), {
              fileName: c.req.query("fileName")?.slice(0, 200) || null,
              subpath: c.req.query("subpath") || null,
              group,
            })
            .catch(async (error: unknown) => {
              await discardRest(body);
              throw error;
            });
          return c.json({ skill }, 201);
        }
        const body = await readJsonBody(c, gitBody);
        if ("error" in body)
          return c.json(
            {
              error: `${body.error} (send JSON {"url", "ref", "subpath", "group"}, or a tar.gz as application/gzip)`,
            },
            body.status,
          );
        const { group = null, ...source } = body.value;
        const problem = unknownGroup(group);
        if (problem) return c.json({ error: problem }, 400);
        return c.json({ skill: await skills.installFromGit(source, group) }, 201);
      } catch (error) {
        return failure(c, error);
      }
    })
    .post("/api/skills/:name/update", async (c) => {
      try {
        return c.json(await skills.update(c.req.param("name")));
      } catch (error) {
        return failure(c, error);
      }
    })
    .delete("/api/skills/:name", async (c) => {
      try {
        return c.json({ skill: await skills.remove(c.req.param("name")) });
      } catch (error) {
        return failure(c, error);
      }
    })
    .post("/api/skills/requests/:id/approve", async (c) => {
      const request = getSkillRequest(db, Number(c.req.param("id")));
      if (!request) return c.json({ error: `no skill request #${c.req.param("id")}` }, 404);
      if (request.status !== "pending")
        return c.json(
          { error: `request #${request.id} was already decided (${request.status})` },
          409,
        );
      try {
        const skill = await skills.installFromGit(
          {
            url: request.url,
            ref: request.ref ?? undefined,
            subpath: request.subpath ?? undefined,
          },
          request.target,
          // Approved or not, the agent chose the URL.
          { owner: false },
        );
        decideSkillRequest(db, request.id, "installed", skill.name, Date.now());
        return c.json({ skill }, 201);
      } catch (error) {
        if (error instanceof SkillProblem)
          decideSkillRequest(db, request.id, "failed", error.message, Date.now());
        return failure(c, error);
      }
    })
    .post("/api/skills/requests/:id/reject", (c) => {
      const id = Number(c.req.param("id"));
      if (!getSkillRequest(db, id))
        return c.json({ error: `no skill request #${c.req.param("id")}` }, 404);
      if (!decideSkillRequest(db, id, "rejected", null, Date.now()))
        return c.json({ error: `request #${id} was already decided` }, 409);
      return c.json({ ok: true });
    });
}
