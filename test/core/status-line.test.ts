import { test } from "node:test";
import assert from "node:assert/strict";
import { statusLine } from "../../src/core/status-line.ts";

test("a status line names what is done, with at most a file's base name or a site's host", () => {
  assert.equal(statusLine("WebSearch", { query: "my bank password reset" }), "searching the web…");
  assert.equal(
    statusLine("WebFetch", { url: "https://example.com/reset?token=secret123" }),
    "reading example.com…",
  );
  assert.equal(
    statusLine("Read", { file_path: "/home/agent/docs/report.pdf" }),
    "reading report.pdf…",
  );
  assert.equal(statusLine("Edit", { file_path: "notes/todo.md" }), "writing todo.md…");
  assert.equal(
    statusLine("Bash", { command: "curl -H 'Authorization: sk-123' x" }),
    "running a command…",
  );
  assert.equal(statusLine("mcp__github__create_issue", { title: "x" }), "using github…");
  assert.equal(statusLine("mcp__pincer__send_message", { text: "hi" }), undefined);
  assert.equal(statusLine("SomethingNew", { secret: "x" }), "working…");
});

test("a status line never carries a command, query or odd file name", () => {
  for (const [name, input] of [
    ["Bash", { command: "echo sk-ant-secret" }],
    ["WebSearch", { query: "sk-ant-secret" }],
    ["Grep", { pattern: "sk-ant-secret" }],
    ["Read", { file_path: "/tmp/`sk-ant`\u0007" }],
  ] as const) {
    const line = statusLine(name, input) ?? "";
    assert.ok(!line.includes("sk-ant") && !line.includes("\u0007"), `${name}: ${line}`);
  }
  assert.equal(statusLine("Read", { file_path: "/tmp/evil_*name*.txt" }), "reading a file…");
  assert.equal(statusLine("WebFetch", { url: "not a url" }), "reading a web page…");
});
