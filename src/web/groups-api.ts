// /api/groups: registered groups and discovered chats; register, change settings
// (trigger, sender allowlist, model and effort), unregister.
import { Hono, type Context } from "hono";
import type { BlankEnv } from "hono/types";
import { z } from "zod";
import type { Db } from "../store/db.ts";
import {
  deleteGroup,
  getGroupByFolder,
  listChats,
  listGroups,
  updateGroupSettings,
  EFFORT_LEVELS,
  type Group,
} from "../store/groups.ts";
import { registerChat } from "../core/registration.ts";
import { readJsonBody, type JsonInput } from "./json-body.ts";

const registerBody = z
  .object({
    chat: z.string().min(3).max(300),
    folder: z.string().max(64).optional(),
    name: z.string().min(1).max(100).optional(),
    trigger: z.string().min(1).max(64).optional(),
    requiresTrigger: z.boolean().optional(),
  })
  .strict();

// Model ids ("claude-sonnet-4-5", "claude-opus-4-1[1m]"), aliases ("sonnet") and gateway
// names ("us.anthropic.claude-…", "vendor/model") all fit; the id reaches the CLI as an
// option value, so nothing else (spaces, quotes, a leading "-") is let through.
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]{0,127}$/;

const settingsBody = z
  .object({
    name: z.string().min(1).max(100).optional(),
    trigger: z.string().min(1).max(64).optional(),
    requiresTrigger: z.boolean().optional(),
    allowedSenders: z.array(z.string().min(1).max(200)).max(1000).nullable().optional(),
    dropOthers: z.boolean().optional(),
    model: z
      .string({ error: "expected a model id as a string, or null for the default (MODEL)" })
      .regex(MODEL_ID, {
        message:
          'expected a model id such as "claude-sonnet-4-5" or an alias such as "sonnet" (letters, digits and . - _ : @ / [ ], at most 128), or null for the default (MODEL)',
      })
      .nullable()
      .optional(),
    effort: z
      .enum(EFFORT_LEVELS, {
        error: `expected one of ${EFFORT_LEVELS.join(", ")}, or null for the model's default`,
      })
      .nullable()
      .optional(),
    streaming: z
      .boolean({ error: "expected true, false, or null for the service's STREAMING setting" })
      .nullable()
      .optional(),
  })
  .strict();

export function groupRoutes(deps: {
  db: Db;
  assistantName: string;
  /** Stops the unregistered group's agent user for good and takes its kept files back. */
  retireGroup: (group: Group) => Promise<void>;
}) {
  const { db } = deps;
  return new Hono()
    .get("/api/groups", (c) =>
      c.json({
        groups: listGroups(db),
        discovered: listChats(db).filter((chat) => !chat.registered),
      }),
    )
    .post("/api/groups", async (c) => {
      const body = await readJsonBody(c, registerBody);
      if ("error" in body) return c.json({ error: body.error }, body.status);
      const result = registerChat(db, body.value, deps.assistantName);
      if ("error" in result) return c.json({ error: result.error }, 400);
      return c.json({ group: result.group }, 201);
    })
    .patch(
      "/api/groups/:folder",
      async (c: Context<BlankEnv, "/api/groups/:folder", JsonInput<typeof settingsBody>>) => {
        const group = getGroupByFolder(db, c.req.param("folder"));
        if (!group)
          return c.json({ error: `no group with folder "${c.req.param("folder")}"` }, 404);
        const body = await readJsonBody(c, settingsBody);
        if ("error" in body) return c.json({ error: body.error }, body.status);
        return c.json({ group: updateGroupSettings(db, group.id, body.value) });
      },
    )
    .delete("/api/groups/:folder", async (c) => {
      const group = getGroupByFolder(db, c.req.param("folder"));
      if (!group) return c.json({ error: `no group with folder "${c.req.param("folder")}"` }, 404);
      if (group.isMain) return c.json({ error: "the main group cannot be unregistered" }, 409);
      deleteGroup(db, group.id);
      await deps.retireGroup(group);
      return c.json({ ok: true });
    });
}
