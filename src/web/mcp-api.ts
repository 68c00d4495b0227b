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
import { finishSignIn, OAUTH_CALLBACK_PATH, SignInError, startSignIn } from "../mcp/oauth.ts";
import { deleteMcpOAuth } from "../store/mcp-oauth.ts";
import type { Context } from "hono";
import { html } from "./pages/html.ts";

/** Pincer's own callback URL as the owner's browser reaches it (a proxy may end TLS). */
function callbackUrl(c: Context): string {
  const url = new URL(c.req.url);
  const proto = c.req.header("x-forwarded-proto") === "https" ? "https:" : url.protocol;
  return `${proto}//${url.host}${OAUTH_CALLBACK_PATH}`;
}

/**
 * Where the provider sends the owner back. No session is needed (a cookie set SameSite=Strict
 * does not come along from the provider's site): the one-use state finds the sign-in.
 */
export function mcpOAuthRoutes(deps: { db: Db; hub: McpHub }) {
  const page = (title: string, text: string) =>
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <title>${title}</title>
          <link rel="stylesheet" href="/assets/style.css" />
        </head>
        <body>
          <main>
            <h1>${title}</h1>
            <p>${text}</p>
            <p><a href="/mcp">Back to the MCP servers</a></p>
          </main>
        </body>
      </html>`.text;
  return new Hono().get(OAUTH_CALLBACK_PATH, async (c) => {
    c.header("Cache-Control", "no-store");
    const { code, state, error } = c.req.query();
    if (error) return c.html(page("Not signed in", `The provider said: ${error}.`), 400);
    if (!code || !state)
      return c.html(page("Not signed in", "The provider sent no code or state back."), 400);
    try {
      const name = await finishSignIn(deps.db, state, code);
      const row = getMcpServer(deps.db, name);
      await deps.hub.changed(name, [row?.group ?? null]);
      return c.html(
        page(
          "Signed in",
          `${name} is connected; its tools reach the agents at their next message.`,
        ),
      );
    } catch (failure) {
      return c.html(page("Not signed in", (failure as Error).message), 400);
    }
  });
}

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
    .post("/api/mcp-servers/:name/connect", async (c) => {
      const name = c.req.param("name");
      const row = getMcpServer(db, name);
      if (!row) return c.json({ error: `no MCP server "${name}"` }, 404);
      try {
        const started = await startSignIn(db, name, callbackUrl(c));
        if ("connected" in started) await hub.changed(name, [row.group]);
        return c.json(started);
      } catch (error) {
        const status = error instanceof SignInError ? 409 : 502;
        return c.json({ error: `could not start signing in: ${(error as Error).message}` }, status);
      }
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
      deleteMcpOAuth(db, row.name);
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
