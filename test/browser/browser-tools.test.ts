// The browser tools against a real headless Chromium and a site on 127.0.0.1: what the
// agent sees, what the site receives, what lands in the group folder, and what is refused.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { BrowserManager } from "../../src/browser/browser-manager.ts";
import { browserTools } from "../../src/browser/browser-tools.ts";
import { chromiumProblem } from "../../src/browser/launcher.ts";
import { dataPaths, groupDir } from "../../src/data-layout.ts";
import type { AgentTool } from "../../src/agent/tools.ts";
import { createLogger } from "../../src/log.ts";
import type { Group } from "../../src/store/groups.ts";
import { callTool } from "./call-tool.ts";
import {
  JS_TEXT,
  pngSize,
  refOf,
  startForbiddenServer,
  startTestSite,
  type TestSite,
} from "./site.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = chromiumProblem(CHROMIUM);
const MAX_CHARS = 20_000;

function group(id: number, folder: string): Group {
  return { id, folder, name: folder, isMain: id === 1 } as Group;
}

describe("browser tools", { skip }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pincer-browser-"));
  const paths = dataPaths(dataDir);
  const folder = groupDir(paths, "main");
  let site: TestSite;
  let forbidden: Awaited<ReturnType<typeof startForbiddenServer>>;
  let manager: BrowserManager;
  let tools: AgentTool[];
  const call = (name: string, args: Record<string, unknown> = {}) => callTool(tools, name, args);

  before(async () => {
    mkdirSync(folder, { recursive: true });
    forbidden = await startForbiddenServer();
    site = await startTestSite(`http://127.0.0.1:${forbidden.port}/secret`);
    manager = new BrowserManager({
      chromiumPath: CHROMIUM,
      stateDir: join(paths.storeDir, "browser"),
      servicePorts: () => [forbidden.port],
      pageTimeoutMs: 30_000,
      actionTimeoutMs: 10_000,
      settleMs: 3_000,
      maxOpen: 2,
      logger: createLogger("silent"),
    });
    tools = browserTools(group(1, "main"), {
      manager,
      paths,
      maxChars: MAX_CHARS,
    });
  });

  after(async () => {
    await manager.closeAll();
    await site.close();
    await forbidden.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows text that JavaScript rendered after load (cold start measured)", async (t) => {
    const started = performance.now();
    const opened = await call("browser_open", { url: `${site.url}/js` });
    const cold = performance.now() - started;
    assert.equal(opened.isError, false, opened.text);
    assert.match(opened.text, new RegExp(JS_TEXT));
    assert.match(opened.text, /heading "Dynamic" \[level=1\] \[ref=e\d+\]/);
    t.diagnostic(`cold browser_open to first snapshot: ${cold.toFixed(0)} ms`);
    const warm = performance.now();
    const again = await call("browser_snapshot");
    t.diagnostic(`warm browser_snapshot: ${(performance.now() - warm).toFixed(0)} ms`);
    assert.match(again.text, new RegExp(JS_TEXT));
  });

  it("fills and submits a form: the site receives what was typed and chosen", async (t) => {
    const form = await call("browser_open", { url: `${site.url}/form` });
    const times: string[] = [];
    const timed = async (name: string, args: Record<string, unknown>) => {
      const started = performance.now();
      const outcome = await call(name, args);
      times.push(`${name} ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(outcome.isError, false, outcome.text);
      return outcome;
    };
    await timed("browser_fill", { ref: refOf(form.text, /textbox "Name"/), text: "Alice" });
    await timed("browser_select", {
      ref: refOf(form.text, /combobox "Colour"/),
      values: ["Green"],
    });
    const after = await timed("browser_click", { ref: refOf(form.text, /button "Send"/) });
    t.diagnostic(times.join(", "));
    assert.match(after.text, /Thanks, Alice/);
    const submitted = site.requests.find((r) => r.method === "POST" && r.path === "/submit");
    assert.equal(submitted?.body, "name=Alice&colour=green");
  });

  it("follows a link chain and goes back", async () => {
    let page = await call("browser_open", { url: `${site.url}/chain/1` });
    page = await call("browser_click", { ref: refOf(page.text, /link "Next"/) });
    assert.match(page.text, /Page 2/);
    page = await call("browser_click", { ref: refOf(page.text, /link "Next"/) });
    assert.match(page.text, /End of the chain/);
    page = await call("browser_back");
    assert.match(page.text, /URL: .*\/chain\/2\n/);
    assert.match(page.text, /Page 2/);
  });

  it("presses keys: Enter in a field submits its form", async () => {
    const form = await call("browser_open", { url: `${site.url}/form` });
    const ref = refOf(form.text, /textbox "Name"/);
    await call("browser_fill", { ref, text: "Bob" });
    const after = await call("browser_press", { ref, key: "Enter" });
    assert.match(after.text, /Thanks, Bob/);
  });

  it("saves a screenshot as a valid PNG in the group folder", async () => {
    await call("browser_open", { url: `${site.url}/chain/1` });
    const shot = await call("browser_screenshot");
    assert.equal(shot.isError, false, shot.text);
    const relativePath = /to (screenshots\/\S+\.png)/.exec(shot.text)?.[1];
    assert.ok(relativePath, shot.text);
    const size = pngSize(readFileSync(join(folder, relativePath)));
    assert.deepEqual(size, { width: 1280, height: 800 });
  });

  it("truncates a large page with a note and reads on from the offset it gives", async () => {
    const first = await call("browser_open", { url: `${site.url}/large` });
    assert.ok(first.text.length < MAX_CHARS + 1000, `${first.text.length} characters`);
    const offset = Number(/with offset (\d+) to read on/.exec(first.text)?.[1]);
    assert.match(first.text, /\[Truncated: showing characters 0-\d+ of \d+\./);
    assert.match(first.text, /Paragraph 0 of a long page/);
    assert.doesNotMatch(first.text, /Paragraph 2999 /);
    const next = await call("browser_snapshot", { offset });
    assert.match(next.text, new RegExp(`characters ${offset}-`));
    assert.doesNotMatch(next.text, /Paragraph 0 of a long page/);
  });

  it("refuses file:///etc/passwd but opens files in the group folder", async () => {
    const refused = await call("browser_open", { url: "file:///etc/passwd" });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /outside this chat's folder/);
    assert.doesNotMatch(refused.text, /root:/);
    writeFileSync(
      join(folder, "notes.html"),
      `<title>Notes</title><h1>My notes</h1><a href="file:///etc/passwd">passwords</a>`,
    );
    const notes = await call("browser_open", { url: `file://${folder}/notes.html` });
    assert.equal(notes.isError, false, notes.text);
    assert.match(notes.text, /My notes/);
    const clicked = await call("browser_click", { ref: refOf(notes.text, /link "passwords"/) });
    assert.doesNotMatch(clicked.text, /root:/);
    assert.match(clicked.text, /Refused file:\/\/\/etc\/passwd/);
  });

  it("refuses the service's own port: typed, redirected to and clicked", async () => {
    for (const url of [
      `http://127.0.0.1:${forbidden.port}/api`,
      `http://localhost:${forbidden.port}/`,
      `http://[::1]:${forbidden.port}/`,
    ]) {
      const typed = await call("browser_open", { url });
      assert.equal(typed.isError, true, url);
      assert.match(typed.text, /assistant's own service/);
    }
    const redirected = await call("browser_open", { url: `${site.url}/to-admin` });
    assert.match(redirected.text, /Refused a connection to 127\.0\.0\.1:\d+: .*own service/);
    const links = await call("browser_open", { url: `${site.url}/admin-link` });
    const clicked = await call("browser_click", { ref: refOf(links.text, /link "Admin"/) });
    assert.match(clicked.text, /Refused a connection/);
    assert.deepEqual(forbidden.hits, []);
  });

  it("saves downloads into the group folder", async () => {
    const page = await call("browser_open", { url: `${site.url}/downloads` });
    const clicked = await call("browser_click", { ref: refOf(page.text, /link "Get the report"/) });
    assert.match(clicked.text, /Downloaded .*report\.txt to .*downloads\/report\.txt/);
    assert.equal(
      readFileSync(join(folder, "downloads", "report.txt"), "utf8"),
      "quarterly numbers\n",
    );
  });

  it("keeps cookies, session ones included, when the browser closes and reopens", async () => {
    await call("browser_open", { url: `${site.url}/login` });
    const closed = await call("browser_close");
    assert.equal(closed.text, "Browser closed.");
    assert.equal(manager.isOpen(1), false);
    const who = await call("browser_open", { url: `${site.url}/whoami` });
    assert.match(who.text, /session=s3cr3t/);
    assert.match(who.text, /remember=yes/);
  });

  it("closes the browser idle the longest when the cap is reached", async () => {
    const other = browserTools(group(2, "other"), {
      manager,
      paths,
      maxChars: MAX_CHARS,
    });
    const third = browserTools(group(3, "third"), {
      manager,
      paths,
      maxChars: MAX_CHARS,
    });
    mkdirSync(groupDir(paths, "other"), { recursive: true });
    mkdirSync(groupDir(paths, "third"), { recursive: true });
    await call("browser_snapshot");
    assert.equal(
      (await callTool(other, "browser_open", { url: `${site.url}/chain/1` })).isError,
      false,
    );
    assert.equal(manager.openCount, 2);
    await callTool(third, "browser_open", { url: `${site.url}/chain/2` });
    assert.equal(manager.openCount, 2);
    assert.equal(manager.isOpen(1), false, "group 1 was idle the longest");
    assert.equal(manager.isOpen(2) && manager.isOpen(3), true);
  });
});
