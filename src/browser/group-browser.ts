// One group's browser: a persistent Chromium context on the group's own profile, its SOCKS
// guard, the file:// rule, downloads into the group folder, and the notes (refusals,
// downloads) the next tool result should carry.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Cookie, Download, Frame, Page, Request } from "playwright-core";
import { BROWSER_DIRS, browserEnvironment, launcherFor, type RunAs } from "./launcher.ts";
import { moveToNewFile, safeFileName } from "./group-files.ts";
import { SocksGuard } from "./socks-guard.ts";
import { fileAllowed, isInside } from "./url-policy.ts";

/** A claim on the group's Unix user for as long as its browser runs. */
export interface UserLease {
  /** The user to run as; undefined when isolation is off. */
  identity: RunAs | undefined;
  /** Settles once the user's folders (the browser's included) are ready for it. */
  ready: Promise<void>;
  release(): void;
}

export interface BrowserGroup {
  id: number;
  /** The group's folder: file:// root; screenshots and downloads land here. */
  groupDir: string;
  /** The agent's home: the profile (cookies, storage) lives in it. */
  home: string;
  /**
   * Claims the group's user. Holding the claim keeps the isolation layer from reaping the
   * browser when the agent's session ends first; releasing it reaps what the browser left.
   */
  lease?: (() => UserLease) | undefined;
}

export interface LaunchSettings {
  chromiumPath: string;
  /** Host-only folder for launch scripts and saved session cookies. */
  stateDir: string;
  /** This service's own ports (admin HTTP, credential proxy), known once it listens. */
  servicePorts(): readonly number[];
  pageTimeoutMs: number;
  actionTimeoutMs: number;
  /** Longest wait for the network to go quiet after an action. */
  settleMs: number;
}

const CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--no-default-browser-check",
];

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export class GroupBrowser {
  readonly group: BrowserGroup;
  readonly context: BrowserContext;
  /** The user the browser runs as (and writes the group's files as), if isolated. */
  readonly runAs: RunAs | undefined;
  private readonly lease: UserLease | undefined;
  private readonly guard: SocksGuard;
  private readonly settings: LaunchSettings;
  private current: Page | undefined;
  private readonly notes: string[] = [];
  private readonly pendingDownloads = new Set<Promise<void>>();

  private constructor(
    group: BrowserGroup,
    context: BrowserContext,
    lease: UserLease | undefined,
    guard: SocksGuard,
    settings: LaunchSettings,
  ) {
    this.group = group;
    this.context = context;
    this.lease = lease;
    this.runAs = lease?.identity;
    this.guard = guard;
    this.settings = settings;
  }

  static async launch(group: BrowserGroup, settings: LaunchSettings): Promise<GroupBrowser> {
    const profileDir = join(group.home, BROWSER_DIRS.profile);
    const downloadsDir = join(group.home, BROWSER_DIRS.downloads);
    const lease = group.lease?.();
    const runAs = lease?.identity;
    let browser: GroupBrowser | undefined;
    const guard = new SocksGuard({
      servicePorts: () => settings.servicePorts(),
      onRefused: (text) => browser?.note(text),
    });
    try {
      // With a lease the folders are made as the agent; without one the browser is the host's.
      if (lease) await lease.ready;
      else
        for (const dir of [profileDir, downloadsDir])
          await mkdir(dir, { recursive: true, mode: 0o700 });
      await guard.start();
      // Loaded at the first launch: playwright-core costs the idle service ~40 MB.
      const { chromium } = await import("playwright-core");
      const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: launcherFor(settings.chromiumPath, runAs, settings.stateDir),
        headless: true,
        args: CHROMIUM_ARGS,
        env: browserEnvironment(group.home),
        proxy: { server: guard.url },
        serviceWorkers: "block",
        acceptDownloads: true,
        downloadsPath: downloadsDir,
        viewport: { width: 1280, height: 800 },
        timeout: settings.pageTimeoutMs,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      browser = new GroupBrowser(group, context, lease, guard, settings);
      await browser.prepare();
      return browser;
    } catch (error) {
      await browser?.context.close().catch(() => undefined);
      await guard.close();
      lease?.release();
      throw error;
    }
  }

  private async prepare(): Promise<void> {
    const { context, settings } = this;
    context.setDefaultTimeout(settings.actionTimeoutMs);
    context.setDefaultNavigationTimeout(settings.pageTimeoutMs);
    const groupDir = realOrSelf(this.group.groupDir);
    // Network requests are checked by the SOCKS guard; file:// never reaches it.
    await context.route(
      (url) => url.protocol === "file:",
      async (route) => {
        const url = new URL(route.request().url());
        const verdict = fileAllowed(url, groupDir);
        const real = verdict.allowed ? realOrSelf(fileURLToPath(url)) : "";
        if (verdict.allowed && isInside(real, groupDir)) return route.continue();
        this.note(
          `Refused ${url.href}: ${verdict.allowed ? "it links outside this chat's folder" : verdict.reason}.`,
        );
        return route.abort("accessdenied");
      },
    );
    const saved = this.sessionCookies();
    if (saved.length > 0) await context.addCookies(saved);
    for (const page of context.pages()) this.track(page);
    context.on("page", (page) => this.track(page));
  }

  private get cookieFile(): string {
    return join(this.settings.stateDir, `session-cookies-${this.group.id}.json`);
  }

  // Chromium keeps only cookies with an expiry across restarts. The browser is closed when
  // the chat goes idle, which is no reason to log the agent out of a site, so cookies
  // without one are carried over by hand.
  private sessionCookies(): Cookie[] {
    if (!existsSync(this.cookieFile)) return [];
    try {
      return JSON.parse(readFileSync(this.cookieFile, "utf8")) as Cookie[];
    } catch {
      return [];
    }
  }

  private track(page: Page): void {
    this.current = page;
    page.on("download", (download) => {
      const saving = this.saveDownload(download).finally(() =>
        this.pendingDownloads.delete(saving),
      );
      this.pendingDownloads.add(saving);
    });
    page.once("close", () => {
      if (this.current === page) this.current = this.context.pages().at(-1);
    });
  }

  private async saveDownload(download: Download): Promise<void> {
    try {
      const source = await download.path();
      const name = safeFileName(download.suggestedFilename(), "download");
      const saved = await moveToNewFile(
        source,
        join(this.group.groupDir, "downloads"),
        name,
        this.runAs,
      );
      this.note(`Downloaded ${download.url()} to ${relative(this.group.groupDir, saved)}.`);
    } catch (error) {
      this.note(`Download of ${download.url()} failed: ${(error as Error).message}`);
    }
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Notes gathered since the last call (refused connections, finished downloads). */
  takeNotes(): string[] {
    return [...new Set(this.notes.splice(0))];
  }

  /** The tab the agent works in: the newest one still open. */
  async page(): Promise<Page> {
    if (this.current && !this.current.isClosed()) return this.current;
    const page = await this.context.newPage();
    this.current = page;
    return page;
  }

  /**
   * Runs an action on the current tab and waits until its effects have landed: a
   * navigation it started has loaded, the requests it caused have finished (up to
   * `settleMs`) and downloads it started are saved.
   */
  async settled<T>(action: (page: Page) => Promise<T>): Promise<T> {
    const page = await this.page();
    const inflight = new Set<Request>();
    let navigated = false;
    let errorPage = false;
    let wake: (() => void) | undefined;
    const onRequest = (request: Request) => inflight.add(request);
    const onDone = (request: Request) => {
      inflight.delete(request);
      if (inflight.size === 0) wake?.();
    };
    const isErrorPage = (frame: Frame) =>
      frame === page.mainFrame() && frame.url().startsWith("chrome-error:");
    const onNavigated = (frame: Frame) => {
      if (frame !== page.mainFrame()) return;
      navigated = true;
      if (isErrorPage(frame)) errorPage = true;
    };
    page.on("request", onRequest);
    page.on("requestfinished", onDone);
    page.on("requestfailed", onDone);
    page.on("framenavigated", onNavigated);
    try {
      const result = await action(page).catch(async (error: unknown) => {
        // A navigation that failed at the network level is followed by Chromium's error
        // page; let it commit, or it would interrupt the agent's next navigation.
        if (!errorPage && /net::ERR_(?!ABORTED)/.test(String(error)))
          await page
            .waitForEvent("framenavigated", {
              predicate: isErrorPage,
              timeout: this.settings.settleMs,
            })
            .catch(() => undefined);
        throw error;
      });
      const deadline = Date.now() + this.settings.settleMs;
      for (let round = 0; round < 3; round++) {
        if (navigated) {
          navigated = false;
          await page.waitForLoadState("load").catch(() => undefined);
        }
        const left = deadline - Date.now();
        if (inflight.size > 0 && left > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
        if (!navigated) break;
      }
      // Let the page's own callbacks (a fetch's .then rendering its result) run.
      await page
        .evaluate("new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))")
        .catch(() => undefined);
      await Promise.all(this.pendingDownloads);
      return result;
    } finally {
      page.off("request", onRequest);
      page.off("requestfinished", onDone);
      page.off("requestfailed", onDone);
      page.off("framenavigated", onNavigated);
    }
  }

  async close(): Promise<void> {
    try {
      const { cookies } = await this.context.storageState();
      await writeFile(
        this.cookieFile,
        JSON.stringify(cookies.filter((cookie) => cookie.expires === -1)),
        { mode: 0o600 },
      );
    } catch {
      // The browser is already gone (crashed or killed): keep the last saved cookies.
    }
    await this.context.close().catch(() => undefined);
    await this.guard.close();
    this.lease?.release();
  }
}
