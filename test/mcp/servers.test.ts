import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { maskSecret } from "../../src/mcp/config.ts";
import { mergedEntry } from "../../src/mcp/servers.ts";
import type { McpServerRow } from "../../src/store/mcp-servers.ts";

const TOKEN = "a-literal-token-typed-in-42";

function row(entry: unknown): McpServerRow {
  return {
    name: "x",
    group: null,
    entry,
    allowedTools: null,
    pending: false,
    calls: 0,
    failedCalls: 0,
    createdAt: 0,
    updatedAt: 0,
  };
}

describe("changing a server's entry", () => {
  const stored = row({
    type: "http",
    url: "https://a.example/mcp",
    headers: { Authorization: `Bearer ${TOKEN}`, "X-Ref": "${KEY}" },
  });

  it("keeps a value sent back as it was shown masked, and takes a new one", () => {
    const shown = maskSecret(`Bearer ${TOKEN}`);
    assert.deepEqual(
      mergedEntry(stored, {
        url: "https://b.example/mcp",
        headers: { Authorization: shown, "X-Ref": "${OTHER}" },
      }),
      {
        type: "http",
        url: "https://b.example/mcp",
        headers: { Authorization: `Bearer ${TOKEN}`, "X-Ref": "${OTHER}" },
      },
    );
    assert.deepEqual(
      (mergedEntry(stored, { headers: { Authorization: "Bearer new" } }) as { headers: object })
        .headers,
      { Authorization: "Bearer new" },
    );
  });

  it("takes only the new fields when the type changes", () => {
    assert.deepEqual(mergedEntry(stored, { type: "stdio", command: "node" }), {
      type: "stdio",
      command: "node",
    });
  });
});
