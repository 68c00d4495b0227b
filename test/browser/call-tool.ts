// Calls an agent tool's handler the way the SDK's MCP server would, and flattens its result.
import type { AgentTool } from "../../src/agent/tools.ts";

export interface ToolOutcome {
  text: string;
  isError: boolean;
}

export async function callTool(
  tools: AgentTool[],
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolOutcome> {
  const found = tools.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  const result = await found.handler(args as never, {});
  const text = result.content
    .map((block) => (block.type === "text" ? block.text : `[${block.type}]`))
    .join("\n");
  return { text, isError: result.isError === true };
}
