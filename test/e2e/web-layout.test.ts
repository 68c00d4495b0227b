// Every admin page at a phone's width (360×740) and a laptop's (1280×800) in a real
// Chromium: nothing wider than the screen, text at a readable size (the usage chart's labels
// included), wide tables whole with no word broken in the middle, the usage table scrollable
// with a hint, the setup page's three steps of a first visit without a key. Also the first
// visit as a new user makes it: a token pasted with spaces around it, the empty chat's
// greeting. Screenshots of every page at both sizes go to test-artifacts/layout/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import { openDb } from "../../src/store/db.ts";
import { upsertChat } from "../../src/store/groups.ts";
import { removeDir, startService, tempDir, type Service } from "./harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (install Debian's chromium)`;
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/layout/", import.meta.url));
const TIMEOUT = 60_000;
/** The smallest text a person reads without zooming, in CSS pixels. */
const MIN_FONT_PX = 12;

const VIEWPORTS = [
  { name: "phone", width: 360, height: 740 },
  { name: "laptop", width: 1280, height: 800 },
] as const;

/** Each admin page, and what shows that it has finished drawing. */
const PAGES: { name: string; path: string; ready: string }[] = [
  { name: "chat", path: "/", ready: ".msg.out" },
  { name: "setup", path: "/setup", ready: "#channel-rows tr" },
  { name: "groups", path: "/groups", ready: "#group-main" },
  { name: "memory", path: "/memory/main", ready: "#memory-content" },
  { name: "conversations", path: "/conversations?group=main", ready: "#history li" },
  { name: "tasks", path: "/tasks", ready: "section.task" },
  { name: "usage", path: "/usage", ready: "#usage-chart svg" },
  { name: "logs", path: "/logs", ready: "#log-lines tbody tr" },
];

interface Measure {
  overflow: number;
  smallText: string[];
}

// The test is type-checked without DOM types, so the page-side code is a string.
const MEASURE = `(() => {
  const doc = document.documentElement;
  const smallText = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const element = node.parentElement;
    if (!text || !element || element.closest(".sr-only, [hidden], script, style, title")) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // SVG text is scaled with its drawing: what counts is the size on the screen.
    const size = parseFloat(getComputedStyle(element).fontSize) *
      (element instanceof SVGGraphicsElement ? element.getScreenCTM().a : 1);
    if (size < ${MIN_FONT_PX}) smallText.push(text.slice(0, 40) + " (" + size.toFixed(1) + "px)");
  }
  return { overflow: doc.scrollWidth - doc.clientWidth, smallText };
})()`;

/** Words split across two lines inside an element (each word's box is one rectangle). */
const BROKEN_WORDS = (selector: string) => `(() => {
  const broken = [];
  for (const root of document.querySelectorAll(${JSON.stringify(selector)})) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
})()`;

describe("admin pages at phone and laptop widths", { skip }, () => {
  let fake: AnthropicFake;
  let service: Service;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const dataDir = tempDir();

  const open = async (viewport: (typeof VIEWPORTS)[number]): Promise<Page> => {
    const context = await browser.newContext({
      viewport: { width: viewport.width, height: viewport.height },
      ...(viewport.name === "phone"
        ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
        : {}),
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
        problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    return page;
  };

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startAnthropicFake((request) => {
      const text = lastUserText(request);
      if (isToolResultTurn(request)) return { text: "Scheduled it." };
      if (text.includes("every hour"))
        return {
          text: "On it.",
          toolUse: {
            name: "mcp__pincer__schedule_task",
            input: { prompt: "check the news", interval: "1h" },
          },
        };
      return { text: `echo: ${text}` };
    });
    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-test-000000", ANTHROPIC_BASE_URL: fake.url },
    });
    const db = openDb(join(dataDir, "store", "pincer.db"));
    upsertChat(db, { channel: "telegram", chatId: "-100777", name: "Family", isGroup: true }, 1);
    db.close();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await service?.stop();
    await fake?.close();
    removeDir(dataDir);
  });

  let phone: Page;

  it("logs in with a token pasted with spaces and a line break around it", async () => {
    phone = await open(VIEWPORTS[0]);
    await phone.goto(`${service.url}/login`);
    await shot(phone, "login-phone");
    await phone.fill("#token", `  ${service.token} \n`);
    await phone.click("#login button");
    await phone.waitForSelector("#composer");
  });

  it("greets in an empty chat and suggests a first message", async () => {
    const greeting = phone.locator("#chat-empty");
    await greeting.waitFor({ state: "visible" });
    assert.match(await greeting.innerText(), /Hello! I am Andy/);
    await shot(phone, "chat-empty-phone");
    await phone.locator(".suggestion", { hasText: "What can you do?" }).click();
    assert.equal(await phone.inputValue("#text"), "What can you do?");
    await phone.press("#text", "Enter");
    await phone.waitForSelector(".msg.out:has-text('What can you do?')");
    assert.equal(await greeting.isVisible(), false, "the greeting goes once there is a message");
    await phone.fill("#text", "remind me every hour about the news");
    await phone.press("#text", "Enter");
    await phone.waitForSelector(".msg.out:has-text('On it.')");
  });

  for (const viewport of VIEWPORTS) {
    it(`fits every page in ${viewport.width}×${viewport.height} with readable text`, async () => {
      const page = viewport.name === "phone" ? phone : await open(viewport);
      if (page !== phone) {
        await page.goto(`${service.url}/login`);
        await page.fill("#token", service.token);
        await page.click("#login button");
        await page.waitForSelector("#composer");
      }
      const failures: string[] = [];
      for (const { name, path, ready } of PAGES) {
        await page.goto(`${service.url}${path}`);
        await page.waitForSelector(ready);
        await page.waitForLoadState("networkidle");
        const measure = (await page.evaluate(MEASURE)) as Measure;
        if (measure.overflow > 0)
          failures.push(`${path}: ${measure.overflow}px wider than the screen`);
        if (measure.smallText.length)
          failures.push(
            `${path}: text under ${MIN_FONT_PX}px: ${measure.smallText.slice(0, 5).join("; ")}`,
          );
        await shot(page, `${name}-${viewport.name}`);
      }
      assert.deepEqual(failures, []);
    });
  }

  const WIDE_TABLES = [
    { path: "/setup", table: "#check-channels table", words: "#check-channels table" },
    { path: "/groups", table: "table.cards", words: "table.cards th" },
    { path: "/logs", table: "#log-lines", words: "#log-lines td:nth-child(3)" },
  ];
  for (const { path, table, words } of WIDE_TABLES) {
    it(`shows the table of ${path} whole on a phone, no word broken in the middle`, async () => {
      await phone.goto(`${service.url}${path}`);
      await phone.waitForSelector(`${table} tbody tr`);
      const fit = (await phone.evaluate(`(() => {
        const table = document.querySelector(${JSON.stringify(table)});
        const wrap = table.closest(".table-wrap");
        const cells = [...table.querySelectorAll("tbody tr > :last-child")];
        return {
          cut: wrap.scrollWidth - wrap.clientWidth,
          lastColumnOnScreen: cells.every((cell) => {
            const box = cell.getBoundingClientRect();
            return box.width > 0 && box.right <= document.documentElement.clientWidth;
          }),
        };
      })()`)) as { cut: number; lastColumnOnScreen: boolean };
      assert.ok(fit.cut <= 0, `the table is cut by ${fit.cut}px`);
      assert.ok(fit.lastColumnOnScreen, "the last column is on screen");
      assert.deepEqual(await phone.evaluate(BROKEN_WORDS(words)), []);
    });
  }

  it("makes the usage table scrollable on a phone and says so", async () => {
    await phone.goto(`${service.url}/usage`);
    await phone.waitForSelector("#usage-table tbody tr");
    const scroll = (await phone.evaluate(`(() => {
      const wrap = document.getElementById("usage-table").parentElement;
      return {
        overflow: getComputedStyle(wrap).overflowX,
        wider: wrap.scrollWidth > wrap.clientWidth,
        tabindex: wrap.getAttribute("tabindex"),
      };
    })()`)) as { overflow: string; wider: boolean; tabindex: string | null };
    assert.equal(scroll.overflow, "auto");
    assert.ok(scroll.wider, "the table is wider than a phone");
    const hint = phone.locator("#tokens-scroll-hint");
    assert.ok(await hint.isVisible(), "a hint says the table scrolls sideways");
    assert.match(await hint.innerText(), /scroll/i);
    assert.equal(scroll.tabindex, "0", "keyboard users can scroll it too");
  });

  it("fits the first visit without a key (three steps) at both widths", async () => {
    const fresh = await startService({ env: { ANTHROPIC_API_KEY: "" } });
    try {
      for (const viewport of VIEWPORTS) {
        const page = await open(viewport);
        await page.goto(`${fresh.url}/login`);
        await page.fill("#token", fresh.token);
        await page.click("#login button");
        await page.waitForSelector("#composer");
        await page.goto(`${fresh.url}/setup`);
        await page.waitForSelector("#first-steps");
        await page.waitForLoadState("networkidle");
        const measure = (await page.evaluate(MEASURE)) as Measure;
        assert.ok(measure.overflow <= 0, `${measure.overflow}px wider than the screen`);
        assert.deepEqual(measure.smallText, []);
        await shot(page, `first-visit-${viewport.name}`);
        await page.context().close();
      }
    } finally {
      await fresh.stop();
      removeDir(fresh.dataDir);
    }
  });

  it("answers /favicon.ico and links the icon from every page", async () => {
    const icon = await fetch(`${service.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("content-type"), "image/svg+xml");
    await icon.body?.cancel();
    await phone.goto(`${service.url}/setup`);
    assert.equal(
      await phone.locator('link[rel="icon"]').getAttribute("href"),
      "/assets/favicon.svg",
    );
    assert.deepEqual(problems, [], "no script errors or CSP refusals");
  });
});
