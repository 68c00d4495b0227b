// /api/mcp-servers and /api/mcp-secrets: the owner's MCP servers (add, change, approve,
// test, remove) and the host-side secrets their entries refer to as ${NAME}. Secrets go in
// and are never given back: the API shows them masked.
import { Hono } from "hono";
import { z } from "zod";
import { registerSecret } from "../log.ts";
import { maskSecret, mcpEntry, newServer, SECRET_NAME, serverChange } from "../mcp/config.ts";
import type { McpHub } from "../mcp/hub.ts";
import {
  addServer,
  approveServer,
  changeServer,
  mergedEntry,
  secretViews,
  serversUsing,
  serverView,
} from "../mcp/servers.ts";
import type { Db } from "../store/db.ts";
import { deleteSecret, setSecret } from "../store/host-secrets.ts";
import { deleteMcpServer, getMcpServer, listMcpServers } from "../store/mcp-servers.ts";
import { zodMessage } from "../zod-message.ts";
import { readJsonBody } from "./json-body.ts";

const secretBody = z.object({ value: z.string().min(1).max(16_000) }).strict();

export function mcpRoutes(deps: { db: Db; hub: McpHub }) {
  const { db, hub } = deps;
  const view = (name: string) => serverView(db, hub, getMcpServer(db, name)!);
  return new Hono()
    .get("/api/mcp-servers", (c) =>
      c.json({ servers: listMcpServers(db).map((row) => serverView(db, hub, row)) }),
    )
    .post("/api/mcp-servers", async (c) => {
      const body = await readJsonBody(c, newServer);
      if ("error" in body) return c.json({ error: body.error }, body.status);
      const outcome = addServer(db, body.value, false);
      if ("error" in outcome) return c.json({ error: outcome.error }, outcome.status);
      await hub.changed(outcome.row.name, [outcome.row.group]);
      return c.json({ server: view(outcome.row.name) }, 201);
    })
    .patch("/api/mcp-servers/:name", async (c) => {
      const row = getMcpServer(db, c.req.param("name"));
      if (!row) return c.json({ error: `no MCP server "${c.req.param("name")}"` }, 404);
      const body = await readJsonBody(c, serverChange);
      if ("error" in body) return c.json({ error: body.error }, body.status);
      const entry = mcpEntry.safeParse(mergedEntry(row, body.value));
      if (!entry.success) return c.json({ error: zodMessage(entry.error) }, 400);
      const outcome = changeServer(db, row, body.value, entry.data);
      if ("error" in outcome) return c.json({ error: outcome.error }, outcome.status);
      await hub.changed(row.name, [row.group, outcome.row.group]);
      return c.json({ server: view(row.name) });
    })
    .post("/api/mcp-servers/:name/approve", async (c) => {
      const outcome = approveServer(db, c.req.param("name"));
      if ("error" in outcome) return c.json({ error: outcome.error }, outcome.status);
      await hub.changed(outcome.row.name, [outcome.row.group]);
      return c.json({ server: view(outcome.row.name) });
    })
    .post("/api/mcp-servers/:name/test", async (c) => {
      const name = c.req.param("name");
      const row = getMcpServer(db, name);
      if (!row) return c.json({ error: `no MCP server "${name}"` }, 404);
      if (row.pending)
        return c.json(
          { error: `"${name}" waits for approval: testing would send it your secrets` },
          409,
        );
      try {
        const { tools } = await hub.test(name);
        return c.json({ ok: true as const, tools });
      } catch (error) {
        return c.json({ error: `could not connect: ${(error as Error).message}` }, 502);
      }
    })
    .delete("/api/mcp-servers/:name", async (c) => {
      const row = getMcpServer(db, c.req.param("name"));
      if (!row) return c.json({ error: `no MCP server "${c.req.param("name")}"` }, 404);
      deleteMcpServer(db, row.name);
      await hub.changed(row.name, [row.group]);
      return c.json({ ok: true as const });
    })
    .get("/api/mcp-secrets", (c) => c.json({ secrets: secretViews(db) }))
    .put("/api/mcp-secrets/:name", async (c) => {
      const name = c.req.param("name");
      if (!SECRET_NAME.test(name))
        return c.json(
          { error: `"${name}" is not a secret name: use upper-case letters, digits and "_"` },
          400,
        );
      const body = await readJsonBody(c, secretBody);
      if ("error" in body) return c.json({ error: body.error }, body.status);
      registerSecret(body.value.value);
      setSecret(db, name, body.value.value);
      for (const row of serversUsing(db, name)) await hub.changed(row.name, [row.group]);
      return c.json({ name, value: maskSecret(body.value.value) });
    })
    .delete("/api/mcp-secrets/:name", async (c) => {
      const name = c.req.param("name");
      if (!deleteSecret(db, name)) return c.json({ error: `no secret "${name}"` }, 404);
      for (const row of serversUsing(db, name)) await hub.changed(row.name, [row.group]);
      return c.json({ ok: true as const });
    });
}
