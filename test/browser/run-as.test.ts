// With isolation the browser runs as the group's Unix user: every Chromium process has that
// uid, files it produces in the group folder belong to it, and none of the host's
// environment reaches it. Needs root (as in CI and the container).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrowserManager } from "../../src/browser/browser-manager.ts";
import { browserTools } from "../../src/browser/browser-tools.ts";
import { BROWSER_DIRS, chromiumProblem } from "../../src/browser/launcher.ts";
import { prepareHomeDirs } from "../../src/agent/memory.ts";
import { agentHome, dataPaths, groupDir } from "../../src/data-layout.ts";
import type { AgentTool } from "../../src/agent/tools.ts";
import { createLogger } from "../../src/log.ts";
import type { Group } from "../../src/store/groups.ts";
import { callTool } from "./call-tool.ts";
import { refOf, startForbiddenServer, startTestSite, type TestSite } from "./site.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const UID = 61_000;
const SECRET = "host-secret-value-0123456789";
const skip =
  process.getuid?.() !== 0
    ? "needs root to switch users"
    : (chromiumProblem(CHROMIUM) ?? chromiumProblem("/usr/bin/setpriv"));

/** Processes whose command line mentions `needle`, with their uid line and environment. */
function processesWith(needle: string): { pid: string; uids: string[]; environ: string }[] {
  const found: { pid: string; uids: string[]; environ: string }[] = [];
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmdline.includes(needle)) continue;
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const uids = /^Uid:\s+(.+)$/m.exec(status)![1]!.trim().split(/\s+/);
      found.push({ pid, uids, environ: readFileSync(`/proc/${pid}/environ`, "utf8") });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe("browser as the group's user", { skip }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pincer-browser-uid-"));
  const paths = dataPaths(dataDir);
  const folder = groupDir(paths, "team");
  const home = agentHome(paths, "team");
  let site: TestSite;
  let forbidden: Awaited<ReturnType<typeof startForbiddenServer>>;
  let manager: BrowserManager;
  let tools: AgentTool[];
  let leases = 0;
  let releases = 0;

  before(async () => {
    for (const dir of [dataDir, paths.groupsDir, paths.agentsDir]) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o711);
    }
    for (const dir of [folder, home]) {
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, UID, UID);
    }
    writeFileSync(join(folder, "page.html"), "<title>Local</title><h1>Local page</h1>");
    chownSync(join(folder, "page.html"), UID, UID);
    forbidden = await startForbiddenServer();
    site = await startTestSite(`http://127.0.0.1:${forbidden.port}/`);
    process.env.PINCER_TEST_SECRET = SECRET;
    manager = new BrowserManager({
      chromiumPath: CHROMIUM,
      stateDir: join(paths.storeDir, "browser"),
      servicePorts: () => [forbidden.port],
      pageTimeoutMs: 30_000,
      actionTimeoutMs: 10_000,
      settleMs: 3_000,
      maxOpen: 1,
      logger: createLogger("silent"),
    });
    const group = { id: 7, folder: "team", name: "Team", isMain: false } as Group;
    tools = browserTools(group, {
      manager,
      paths,
      maxChars: 20_000,
      lease: () => {
        leases++;
        const identity = { uid: UID, gid: UID };
        // As the isolation layer does: the browser's folders are made by the agent's user.
        const ready = prepareHomeDirs(paths, group, identity, Object.values(BROWSER_DIRS));
        return { identity, ready, release: () => void releases++ };
      },
    });
  });

  after(async () => {
    delete process.env.PINCER_TEST_SECRET;
    await manager.closeAll();
    await site.close();
    await forbidden.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs every Chromium process as the group's uid, without the host's environment", async () => {
    const opened = await callTool(tools, "browser_open", { url: `${site.url}/chain/1` });
    assert.equal(opened.isError, false, opened.text);
    assert.match(opened.text, /Page 1/);
    const processes = processesWith(join(home, "browser-profile"));
    assert.ok(processes.length > 0, "no Chromium process found");
    for (const { pid, uids, environ } of processes) {
      assert.deepEqual(uids, [String(UID), String(UID), String(UID), String(UID)], `pid ${pid}`);
      assert.doesNotMatch(environ, new RegExp(SECRET), `pid ${pid} got the host's environment`);
    }
  });

  it("reads the group's files and leaves what it saves owned by the group's uid", async () => {
    const local = await callTool(tools, "browser_open", { url: `file://${folder}/page.html` });
    assert.match(local.text, /Local page/);
    const shot = await callTool(tools, "browser_screenshot");
    const saved = /\((\/\S+\.png)\)/.exec(shot.text)?.[1];
    assert.ok(saved && existsSync(saved), shot.text);
    assert.equal(statSync(saved).uid, UID);
    const files = await callTool(tools, "browser_open", { url: `${site.url}/downloads` });
    await callTool(tools, "browser_click", { ref: refOf(files.text, /link "Get the report"/) });
    const report = join(folder, "downloads", "report.txt");
    assert.equal(readFileSync(report, "utf8"), "quarterly numbers\n");
    assert.equal(statSync(report).uid, UID);
  });

  it("holds the group's user while the browser runs and lets go when it closes", async () => {
    assert.equal(leases, 1);
    assert.equal(releases, 0);
    await callTool(tools, "browser_close");
    assert.equal(releases, 1);
    assert.deepEqual(processesWith(join(home, "browser-profile")), []);
  });
});
