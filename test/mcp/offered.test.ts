// What of an MCP server reaches an agent: the tools it is offered, and results cut to size.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { capResult, offeredTools } from "../../src/mcp/offered.ts";

describe("the tools an agent is offered", () => {
  const schema = { type: "object" as const, properties: {} };
  it("leaves out names the model API refuses and huge schemas, and cuts descriptions", () => {
    const offered = offeredTools(
      [
        { name: "ok_tool-1", description: "d".repeat(5_000), inputSchema: schema },
        { name: "bad name!", inputSchema: schema },
        { name: "x".repeat(65), inputSchema: schema },
        {
          name: "huge",
          inputSchema: { ...schema, properties: { a: { description: "y".repeat(30_000) } } },
        },
        { name: "off_list", inputSchema: schema },
      ],
      ["ok_tool-1", "bad name!", "x".repeat(65), "huge"],
    );
    assert.deepEqual(
      offered.map((tool) => tool.name),
      ["ok_tool-1"],
    );
    assert.equal(offered[0]!.description!.length, 2_000);
  });
});

describe("a tool's result", () => {
  it("keeps what fits, cuts the text that does not and says so", () => {
    const result = capResult(
      {
        content: [
          { type: "text", text: "abcd" },
          { type: "text", text: "efghij" },
          { type: "text", text: "never" },
        ],
      },
      7,
    );
    assert.deepEqual(result.content, [
      { type: "text", text: "abcd" },
      { type: "text", text: "efg" },
      { type: "text", text: "[The result was cut: it is larger than 7 characters.]" },
    ]);
  });

  it("counts other content by its JSON size and keeps an error an error", () => {
    const image = { type: "image" as const, data: "x".repeat(100), mimeType: "image/png" };
    const result = capResult({ content: [image], isError: true }, 50);
    assert.equal(result.isError, true);
    assert.equal(result.content.length, 1);
    assert.match(String(result.content[0]!.type === "text" && result.content[0]!.text), /cut/);
    assert.deepEqual(capResult({ content: [image] }, 1_000), { content: [image] });
  });
});
