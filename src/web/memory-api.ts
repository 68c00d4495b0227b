// /api/memory/:folder: a group's CLAUDE.md, or with "global" the memory every group shares.
import { Hono } from "hono";
import { z } from "zod";
import { globalMemoryDir, groupDir, type Paths } from "../data-layout.ts";
import { TreeFileError } from "../agent/isolation/tree-fs.ts";
import type { Db } from "../store/db.ts";
import { getGroupByFolder } from "../store/groups.ts";
import { limitBody } from "./body-limit.ts";
import { readJsonBody } from "./json-body.ts";
import { readMemory, writeMemory } from "./memory-file.ts";

export const GLOBAL_MEMORY = "global";
const MAX_MEMORY_CHARS = 200_000;

const memoryBody = z
  .object({
    content: z
      .string()
      .max(MAX_MEMORY_CHARS, `content is longer than ${MAX_MEMORY_CHARS} characters`),
    version: z.string().max(64).optional(),
  })
  .strict();

export function memoryRoutes(deps: { db: Db; paths: Paths }) {
  const { db, paths } = deps;
  const dirFor = (folder: string): string | undefined => {
    if (folder === GLOBAL_MEMORY) return globalMemoryDir(paths);
    return getGroupByFolder(db, folder) ? groupDir(paths, folder) : undefined;
  };
  // A link, FIFO or oversized file the agent put there: refused by name, nothing else breaks.
  const linkProblem = (error: unknown) =>
    error instanceof TreeFileError ? error.message : undefined;

  return new Hono()
    .get("/api/memory/:folder", async (c) => {
      const folder = c.req.param("folder");
      const dir = dirFor(folder);
      if (!dir) return c.json({ error: `no group with folder "${folder}"` }, 404);
      try {
        return c.json({ folder, ...(await readMemory(dir)) });
      } catch (error) {
        const problem = linkProblem(error);
        if (problem) return c.json({ error: problem }, 409);
        throw error;
      }
    })
    .put(
      "/api/memory/:folder",
      limitBody(
        MAX_MEMORY_CHARS * 4 + 1024,
        `memory too large: the limit is ${MAX_MEMORY_CHARS} characters`,
      ),
      async (c) => {
        const folder = c.req.param("folder");
        const dir = dirFor(folder);
        if (!dir) return c.json({ error: `no group with folder "${folder}"` }, 404);
        const body = await readJsonBody(c, memoryBody);
        if ("error" in body) return c.json({ error: body.error }, body.status);
        try {
          const { version } = body.value;
          if (version !== undefined && (await readMemory(dir)).version !== version)
            return c.json(
              {
                error:
                  "the memory changed since you opened it (the agent may have written to it): reload and edit again",
              },
              409,
            );
          const mode = folder === GLOBAL_MEMORY ? 0o644 : 0o600;
          return c.json({ folder, ...(await writeMemory(dir, body.value.content, mode)) });
        } catch (error) {
          const problem = linkProblem(error);
          if (problem) return c.json({ error: problem }, 409);
          throw error;
        }
      },
    );
}
