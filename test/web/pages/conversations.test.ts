// The conversations page as the server renders it: the activity panel, the files sent.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Group } from "../../../src/store/groups.ts";
import type { StoredMessage } from "../../../src/store/messages.ts";
import type { StoredOutboundFile } from "../../../src/store/outbound-files.ts";
import { activityPanel, conversationsPage } from "../../../src/web/pages/conversations.ts";

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

describe("files the assistant sent", () => {
  const message = (id: number, channel: string): StoredMessage => ({
    id,
    channel,
    chatId: "c",
    direction: "out",
    platformId: null,
    threadId: null,
    senderId: "assistant",
    senderName: "Andy",
    text: "The report",
    replyTo: null,
    attachments: null,
    timestamp: 0,
    editedAt: null,
    deleted: false,
    turnThrough: null,
  });
  const file = (messageId: number, removedAt: number | null): StoredOutboundFile => ({
    messageId,
    name: "report.pdf",
    mimeType: "application/pdf",
    size: 2 * 1024 * 1024,
    stored: "copy",
    removedAt,
  });
  const render = (channel: string, sent: StoredOutboundFile) =>
    conversationsPage(
      { assistantName: "Andy", csrf: "x", timeZone: "UTC" },
      {
        groups: [],
        group: { name: "Main", folder: "main", channel } as Group,
        query: { q: undefined, before: undefined, limit: 100 },
        messages: [message(sent.messageId, channel)],
        sentFiles: new Map([[sent.messageId, sent]]),
        retentionDays: 90,
        activity: undefined,
      },
    );

  it("links a kept file for download", () => {
    const page = render("web", file(7, null));
    assert.match(page, /<a class="attachment" href="\/api\/chat\/files\/7" download="report.pdf"/);
    assert.match(page, /📎 report.pdf \(2 MB\)/);
  });

  it("says a removed web chat file is no longer kept and for how long files are, without a link", () => {
    const page = render("web", file(7, 1));
    assert.doesNotMatch(page, /\/api\/chat\/files\/7/);
    assert.match(
      page,
      /📎 report.pdf is no longer kept: files the assistant sends to the web chat are kept for 90 days \(ATTACHMENT_RETENTION_DAYS\)./,
    );
  });

  it("says a platform's file is not kept once the platform has it", () => {
    const page = render("telegram", file(8, 1));
    assert.doesNotMatch(page, /\/api\/chat\/files\/8/);
    assert.match(
      page,
      /report.pdf is no longer kept: Pincer deletes its copy of a file once telegram has it./,
    );
  });
});
