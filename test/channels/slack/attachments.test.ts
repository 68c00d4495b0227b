// Slack file downloads carry the bot token, and the URL comes from the event: the token may
// go only to Slack's file host (here the test's stand-in for it), never to a URL elsewhere
// and never along a redirect to another host.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileAttachment } from "../../../src/channels/slack/attachments.ts";
import { createLogger, RecentLines } from "../../../src/log.ts";

const TOKEN = "xoxb-attachment-test-token";

interface Site {
  url: string;
  seen: { path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

async function site(handle: (path: string) => Answer): Promise<Site> {
  const seen: Site["seen"] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", headers: req.headers });
    const answer = handle(req.url ?? "");
    res.writeHead(answer.status, answer.headers).end(answer.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("Slack file downloads", () => {
  let files: Site;
  let elsewhere: Site;
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line) => lines.push(line) }, new RecentLines(10));

  before(async () => {
    elsewhere = await site(() => ({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: "stolen",
    }));
    files = await site((path): Answer => {
      if (path === "/files-pri/T1-F1/notes.txt")
        return { status: 200, headers: { "content-type": "text/plain" }, body: "hello" };
      if (path === "/files-pri/T1-F2/moved.txt")
        return { status: 302, headers: { location: "/files-pri/T1-F1/notes.txt" } };
      return { status: 302, headers: { location: `${elsewhere.url}/collect` } };
    });
  });
  after(async () => {
    await files.close();
    await elsewhere.close();
  });

  function attachment(url: string) {
    const made = fileAttachment(
      { id: "F1", name: "notes.txt", mimetype: "text/plain", url_private_download: url },
      { botToken: TOKEN, maxBytes: 1000, filesUrl: files.url, logger },
    );
    assert.ok(made);
    return made;
  }

  it("downloads from the file host with the bot token, following its own redirects", async () => {
    assert.equal(
      new TextDecoder().decode(
        await attachment(`${files.url}/files-pri/T1-F1/notes.txt`).download(),
      ),
      "hello",
    );
    assert.equal(
      new TextDecoder().decode(
        await attachment(`${files.url}/files-pri/T1-F2/moved.txt`).download(),
      ),
      "hello",
    );
    assert.ok(files.seen.every((request) => request.headers.authorization === `Bearer ${TOKEN}`));
  });

  it("refuses a URL on another host without sending it anything, and says so in the log", async () => {
    await assert.rejects(
      attachment(`${elsewhere.url}/files-pri/T1-F1/notes.txt`).download(),
      /not Slack's file host/,
    );
    await assert.rejects(
      attachment("https://files.slack.com.evil.example/x").download(),
      /not Slack's file host/,
    );
    assert.equal(elsewhere.seen.length, 0);
    assert.ok(lines.some((line) => line.includes('"level":40') && line.includes("127.0.0.1")));
    assert.ok(lines.every((line) => !line.includes(TOKEN)));
  });

  it("does not follow a redirect to another host", async () => {
    await assert.rejects(
      attachment(`${files.url}/files-pri/T1-F3/away.txt`).download(),
      /redirected/,
    );
    assert.equal(elsewhere.seen.length, 0, "nothing went to the other host, token or not");
  });

  it("pins https://files.slack.com when no other file host is configured", async () => {
    const made = fileAttachment(
      {
        id: "F1",
        name: "notes.txt",
        url_private_download: `${files.url}/files-pri/T1-F1/notes.txt`,
      },
      { botToken: TOKEN, maxBytes: 1000, logger },
    );
    const before = files.seen.length;
    await assert.rejects(made!.download(), /not Slack's file host/);
    assert.equal(files.seen.length, before);
  });
});
