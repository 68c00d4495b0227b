// Regression: a code block cut between chunks kept its indentation only on the first chunk.
import { it } from "node:test";
import assert from "node:assert/strict";
import { splitMessage } from "../../src/channels/split.ts";

it("keeps the indentation of code lines that start a continued chunk", () => {
  const lines = Array.from({ length: 200 }, (_, i) => `    indented line ${i}`);
  const chunks = splitMessage(["```py", ...lines, "```"].join("\n"), 500);
  assert.ok(chunks.length > 2);
  for (const chunk of chunks.slice(1)) {
    const [fence, firstCode] = chunk.split("\n");
    assert.equal(fence, "```py");
    assert.match(firstCode!, /^ {4}indented line \d+$/);
  }
});
