// A stdio MCP server the host starts as a process. Its `whoami` tool says which user runs
// it, where its home is and whether the secret the host passed in its environment arrived.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "stdio-fake", version: "1.0.0" });
server.registerTool("whoami", { description: "Which user runs this server" }, () => ({
  content: [
    {
      type: "text",
      text: JSON.stringify({
        uid: process.getuid?.(),
        home: process.env.HOME,
        hasSecret: Boolean(process.env.FAKE_SECRET),
      }),
    },
  ],
}));
server.registerTool(
  "add",
  { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() } },
  ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
);
await server.connect(new StdioServerTransport());
