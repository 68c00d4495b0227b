// The main chat's agent may ask for an MCP server, never add one: add_mcp_server files it
// as pending, and it does nothing (no connection, no secret filled in) until the owner
// approves it on the admin page, with `pincer mcp approve` or the API.
import { tool } from "../agent/sdk.ts";
import { z } from "zod";
import type { AgentTool } from "../agent/tools.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import { zodMessage } from "../zod-message.ts";
import { newServer } from "./config.ts";
import { addServer } from "./servers.ts";

const shape = {
  name: z.string().describe("Server name: lower-case letters, digits, '-' or '_' (no '__')"),
  group: z.string().optional().describe("Folder of the one group it is for; omit for every group"),
  type: z.enum(["stdio", "http", "sse"]).describe("How to reach it, as in .mcp.json"),
  url: z.string().optional().describe("http/sse: the server's URL"),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe("http/sse: headers; refer to the owner's secrets as ${NAME}, never write one"),
  command: z.string().optional().describe("stdio: the command"),
  args: z.array(z.string()).optional().describe("stdio: its arguments (no secrets)"),
  env: z
    .record(z.string(), z.string())
    .optional()
    .describe("stdio: environment; refer to the owner's secrets as ${NAME}"),
};

export function mcpAgentTools(group: Group, db: Db): AgentTool[] {
  if (!group.isMain) return [];
  return [
    tool(
      "add_mcp_server",
      "Ask the owner to add an MCP server (a .mcp.json entry). It is filed as pending and does nothing until the owner approves it on the admin page; then its tools appear as mcp__<name>__<tool> from the next message on. Tell the owner which secrets (${NAME}) it needs.",
      shape,
      async (args) => {
        const fields = Object.fromEntries(
          Object.entries(args).filter(([, value]) => value !== undefined),
        );
        const parsed = newServer.safeParse(fields);
        const outcome = parsed.success
          ? addServer(db, parsed.data, true)
          : { error: zodMessage(parsed.error) };
        const text =
          "error" in outcome
            ? `Not filed: ${outcome.error}`
            : `Filed "${outcome.row.name}" for the owner's approval: they answer "/approve ${outcome.row.name}" in this chat, or approve it on the admin page's MCP section. It does nothing until then.`;
        return { content: [{ type: "text", text }], isError: "error" in outcome };
      },
    ),
  ];
}
