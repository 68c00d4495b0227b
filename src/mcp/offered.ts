// What of an MCP server reaches an agent: the tools it is offered (a server's odd tool must
// not break the agent's every request, nor fill its context) and each result cut to size.
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";

/** What a tool name may be: the model API refuses a whole request over one bad name. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_DESCRIPTION_CHARS = 2_000;
const MAX_SCHEMA_CHARS = 20_000;

/**
 * The tools of a server an agent is offered: those on the allow-list (null = all) whose
 * name the model API takes and whose schema is of sane size, descriptions cut short.
 */
export function offeredTools(tools: Tool[], allowed: string[] | null): Tool[] {
  return tools
    .filter((tool) => allowed === null || allowed.includes(tool.name))
    .filter(
      (tool) =>
        TOOL_NAME.test(tool.name) && JSON.stringify(tool.inputSchema).length <= MAX_SCHEMA_CHARS,
    )
    .map((tool) => ({
      name: tool.name,
      ...(tool.title ? { title: tool.title } : {}),
      description: (tool.description ?? "").slice(0, MAX_DESCRIPTION_CHARS),
      inputSchema: tool.inputSchema,
      ...(tool.annotations ? { annotations: tool.annotations } : {}),
    }));
}

/** A call's failure as the agent reads it. */
export function errorResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

/**
 * The result with its text cut to `max` characters in all; other content (images,
 * resources) counts by its JSON size and is dropped once the budget is spent.
 */
export function capResult(result: CallToolResult, max: number): CallToolResult {
  let left = max;
  let cut = false;
  const content: CallToolResult["content"] = [];
  for (const block of result.content ?? []) {
    const size = block.type === "text" ? block.text.length : JSON.stringify(block).length;
    if (size <= left) {
      content.push(block);
      left -= size;
      continue;
    }
    cut = true;
    if (block.type === "text" && left > 0)
      content.push({ ...block, text: block.text.slice(0, left) });
    left = 0;
  }
  if (cut)
    content.push({
      type: "text",
      text: `[The result was cut: it is larger than ${max} characters.]`,
    });
  return { content, ...(result.isError ? { isError: true } : {}) };
}
