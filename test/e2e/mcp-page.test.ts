// The MCP admin page in a real headless Chromium: add a server from its .mcp.json entry,
// set its secret (shown masked afterwards), test it (its tools are listed), approve one
// the agent filed, and see a bad entry refused with the reason.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { startHttpMcpFake, type HttpMcpFake } from "../fakes/mcp/server.ts";
import { startOAuthMcpFake, type OAuthMcpFake } from "../fakes/mcp/oauth.ts";
import { openDb } from "../../src/store/db.ts";
import { insertMcpServer } from "../../src/store/mcp-servers.ts";
import { removeDir, startService, tempDir, type Service } from "./harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (install Debian's chromium)`;
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const TOKEN = "mcp-page-bearer-token-81ab";

describe("the MCP admin page", { skip }, () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let notes: HttpMcpFake;
  let oauth: OAuthMcpFake;
  let service: Service;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    model = await startAnthropicFake();
    notes = await startHttpMcpFake(TOKEN);
    oauth = await startOAuthMcpFake();
    // A server the agent filed: pending until approved.
    const db = openDb(join(dataDir, "store", "pincer.db"));
    insertMcpServer(db, {
      name: "wiki",
      group: null,
      entry: { type: "http", url: notes.url, headers: { Authorization: "Bearer ${NOTES_TOKEN}" } },
      allowedTools: null,
      pending: true,
    });
    db.close();
    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-mcp-page-0000", ANTHROPIC_BASE_URL: model.url },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage();
    page.setDefaultTimeout(60_000);
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
        problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(`${service.url}/login?next=/mcp`);
    await page.fill("#token", service.token);
    await page.click("#login button");
    await page.waitForSelector("#mcp-add");
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    await notes?.close();
    await oauth?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("refuses a bad entry with the reason, adds a good one, sets its secret and tests it", async () => {
    await page.fill("#mcp-add-name", "notes");
    await page.fill("#mcp-add-entry", '{"type": "http", "url": "ftp://x.example/"}');
    await page.click("#mcp-add button[type=submit]");
    await page.waitForSelector("#mcp-add .form-error:has-text('not an http(s) URL')");

    await page.fill(
      "#mcp-add-entry",
      JSON.stringify({
        type: "http",
        url: notes.url,
        headers: { Authorization: "Bearer ${NOTES_TOKEN}" },
      }),
    );
    await page.click("#mcp-add button[type=submit]");
    await page.waitForSelector("#mcp-notes");
    assert.match((await page.textContent("#mcp-notes")) ?? "", /not set: NOTES_TOKEN/);

    await page.fill("#mcp-secret-name", "NOTES_TOKEN");
    await page.fill("#mcp-secret-value", TOKEN);
    await page.click("#mcp-secret button[type=submit]");
    await page.waitForSelector("li:has-text('NOTES_TOKEN')");
    const html = await page.content();
    assert.ok(!html.includes(TOKEN), "the secret is never shown again");
    assert.match(
      (await page.textContent("li:has-text('NOTES_TOKEN')")) ?? "",
      /••••ab · used by\s+notes, wiki/,
    );

    await page.click("#mcp-notes .mcp-test");
    await page.waitForSelector("#mcp-notes .mcp-tools:has-text('lookup')");

    // Edited on the page: the URL changes, the header shown as a reference stays as it was.
    await page.click("#mcp-notes summary");
    const entry = JSON.parse(await page.inputValue("#mcp-notes-entry")) as { url: string };
    await page.fill("#mcp-notes-entry", JSON.stringify({ ...entry, url: `${notes.url}?v=2` }));
    await page.click("#mcp-notes form.mcp-edit button[type=submit]");
    await page.waitForSelector(`#mcp-notes code:has-text('${notes.url}?v=2')`);
    await page.click("#mcp-notes .mcp-test");
    await page.waitForSelector("#mcp-notes .mcp-tools:has-text('lookup')");
    await page.screenshot({ path: join(ARTIFACTS, "mcp.png"), fullPage: true });
  });

  it("connects a server that wants OAuth: sign in at the provider, back on Pincer, tools listed", async () => {
    await page.fill("#mcp-add-name", "cal");
    await page.fill("#mcp-add-entry", JSON.stringify({ type: "http", url: oauth.url }));
    await page.click("#mcp-add button[type=submit]");
    await page.waitForSelector("#mcp-cal");
    await page.click("#mcp-cal .mcp-test");
    await page.waitForSelector("#mcp-cal .form-error:has-text('sign in with Connect')");
    await page.click("#mcp-cal .mcp-connect");
    await page.waitForSelector("#allow");
    assert.match(page.url(), /\/authorize\?.*code_challenge_method=S256/);
    await page.click("#allow");
    await page.waitForSelector("h1:has-text('Signed in')");
    assert.equal(new URL(page.url()).pathname, "/mcp/oauth/callback");
    await page.click("text=Back to the MCP servers");
    await page.click("#mcp-cal .mcp-test");
    await page.waitForSelector("#mcp-cal .mcp-tools:has-text('lookup')");
    assert.deepEqual(oauth.grants, ["authorization_code"]);
    await page.goto(`${service.url}/usage`);
    assert.match((await page.textContent("#mcp-calls")) ?? "", /cal\s*0\s*0/);
    await page.goto(`${service.url}/mcp`);
    assert.ok(!(await page.content()).includes("access_token"));
  });

  it("approves a server the agent filed", async () => {
    assert.match((await page.textContent("#mcp-wiki")) ?? "", /waiting for approval/);
    await page.click("#mcp-wiki button:has-text('Approve')");
    await page.waitForSelector("#mcp-wiki:has-text('not connected yet')");
    assert.equal(await page.locator("#mcp-wiki button:has-text('Approve')").count(), 0);
    assert.deepEqual(problems, []);
  });
});
