// The conversations page's activity panel, as the server renders it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { activityPanel } from "../../../src/web/pages/conversations.ts";

const label = (markup: string) =>
  /<p class="hint" id="activity-tools-label"\s*(hidden)?\s*>/.exec(markup);

describe("agent activity panel", () => {
  it("does not announce a list of tools when none was called", () => {
    for (const status of ["idle", "working"] as const) {
      const markup = activityPanel({ groupId: 1, status, tools: [], since: 0 }, "UTC").text;
      assert.ok(label(markup)?.[1], `${status}: the tools label is hidden`);
    }
  });

  it("labels the tools of the last turn when there were some", () => {
    const markup = activityPanel(
      { groupId: 1, status: "idle", tools: [{ name: "Bash", at: 0 }], since: 0 },
      "UTC",
    ).text;
    assert.ok(label(markup), "the label is there");
    assert.equal(label(markup)?.[1], undefined, "and shown");
    assert.match(markup, /Tools called in the last turn:/);
  });
});
