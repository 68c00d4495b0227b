// The admin UI in a real headless Chromium against the real service and the fake model:
// log in, the setup checklist, groups and memory, the web chat (Enter / Shift+Enter,
// streamed replies, working state, safe Markdown, a recorded voice message), conversations,
// tasks, usage and budget, logs, and the chat on a phone-sized screen. Each main page is
// saved as a screenshot under test-artifacts/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
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
import { api, removeDir, startService, tempDir, waitFor, type Service } from "./harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (install Debian's chromium)`;
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const TIMEOUT = 60_000;

const MARKDOWN_REPLY =
  'Here is **bold**, `code` and <img src=x onerror="window.pwned=1"> as text, ' +
  "[a trap](javascript:window.pwned=2) and https://example.com/docs.\n\n- one\n- two";

describe("admin UI in a browser", { skip }, () => {
  // One browser page walks through the admin UI as a person would: the cases run in the order
  // written and each starts where the previous one left the page (the first logs in, the last
  // logs out, the chat and task cases build on the groups registered before them).
  let fake: AnthropicFake;
  let service: Service;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const dataDir = tempDir();

  const shot = (name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  const watch = (target: Page) => {
    target.setDefaultTimeout(TIMEOUT);
    // Expected 4xx answers show up as "Failed to load resource"; anything else (a script
    // error, a CSP refusal) is a bug.
    target.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
        problems.push(message.text());
    });
    target.on("pageerror", (error) => problems.push(error.message));
  };

  /** Every form control on the page has a label a screen reader announces. */
  const assertLabelled = async () => {
    const unlabelled = (await page.evaluate(`[...document.querySelectorAll(
      "input:not([type=hidden]), textarea, select, button")]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
        && !(el.tagName === "BUTTON" && el.textContent.trim()))
      .map((el) => el.outerHTML.slice(0, 80))`)) as string[];
    assert.deepEqual(unlabelled, [], `unlabelled controls on ${page.url()}`);
  };

  const logIn = async (target: Page) => {
    await target.goto(`${service.url}/login`);
    await target.fill("#token", service.token);
    await target.click("#login button");
    await target.waitForSelector("#composer");
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startAnthropicFake((request) => {
      const text = lastUserText(request);
      if (isToolResultTurn(request)) return { text: "Scheduled it.", delayMs: 1500 };
      if (text.includes("every hour")) {
        return {
          text: "On it.",
          toolUse: {
            name: "mcp__pincer__schedule_task",
            input: { prompt: "check the news", interval: "1h" },
          },
        };
      }
      if (text.includes("show me markdown")) return { text: MARKDOWN_REPLY, delayMs: 1500 };
      if (text.includes('kind="audio"')) return { text: "Got your voice note." };
      return { text: `echo: ${text}` };
    });
    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-test-000000", ANTHROPIC_BASE_URL: fake.url },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["microphone"], { origin: service.url });
    page = await context.newPage();
    watch(page);
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    await fake?.close();
    removeDir(dataDir);
  });

  it("sends a visitor to log in and refuses a wrong token", async () => {
    await page.goto(`${service.url}/setup`);
    assert.match(new URL(page.url()).pathname, /^\/login$/);
    await page.fill("#token", "wrong-token-entirely");
    await page.click("#login button");
    await page.waitForSelector("#login-error:has-text('wrong admin token')");
    await shot("login");
    await page.fill("#token", service.token);
    await page.click("#login button");
    // Back to the page that asked for the login.
    await page.waitForSelector("h1:has-text('Setup')");
  });

  it("shows the checklist: verified credential, a channel that is not configured, pairing code", async () => {
    await page.waitForSelector("#verify-result:has-text('verified with')");
    assert.ok(
      fake.requests.some((request) => request.body.max_tokens === 1),
      "one minimal model request went through the proxy",
    );
    const telegram = page.locator("#channel-telegram");
    assert.equal(await telegram.getAttribute("data-status"), "not_configured");
    assert.match(await telegram.innerText(), /not configured[\s\S]*TELEGRAM_BOT_TOKEN/);
    assert.equal(await page.locator("#channel-web").getAttribute("data-status"), "connected");
    const status = (await (await api(service, "/api/status")).json()) as { pairingCode: string };
    assert.equal(await page.locator("#pairing-code").innerText(), `/pair ${status.pairingCode}`);
    assert.match(await page.locator("#check-timezone").innerText(), /UTC/);
    assert.match(await page.locator("#check-name").innerText(), /Andy/);
    assert.equal(await page.locator("#backup").getAttribute("href"), "/api/backup");
    await assertLabelled();
    await shot("setup");
  });

  it("registers a discovered chat and edits its memory", async () => {
    const db = openDb(join(dataDir, "store", "pincer.db"));
    upsertChat(db, { channel: "telegram", chatId: "-100777", name: "Family", isGroup: true }, 1);
    db.close();
    await page.goto(`${service.url}/groups`);
    const row = page.locator("tr", { hasText: "Family" });
    await row.locator("input[name=folder]").fill("family");
    await row.locator("button:has-text('Register')").click();
    await page.waitForSelector("#group-family");
    assert.equal(
      await page.locator("#group-family input[name=trigger]").inputValue(),
      "@Andy",
      "a group chat needs the trigger by default",
    );
    await assertLabelled();
    await shot("groups");

    await page.click("#group-family a:has-text('Memory')");
    await page.waitForSelector("#memory-content");
    await page.fill("#memory-content", "# Family\n\nGrandma's birthday is on 3 March.\n");
    // Saving reloads the page from the server.
    await Promise.all([page.waitForEvent("load"), page.click("#memory button:has-text('Save')")]);
    await waitFor(
      () =>
        readFileSync(join(dataDir, "groups", "family", "CLAUDE.md"), "utf8").includes(
          "Grandma's birthday",
        ) || undefined,
      "the memory file to be written",
    );
    assert.match(await page.inputValue("#memory-content"), /Grandma's birthday/);
    await assertLabelled();
    await shot("memory");
  });

  it("chats: Shift+Enter is a new line, Enter sends, the working state shows, Markdown is safe", async () => {
    await page.goto(service.url);
    await page.waitForSelector("#composer");
    await page.fill("#text", "hello");
    await page.press("#text", "Shift+Enter");
    await page.keyboard.type("show me markdown");
    assert.equal(await page.inputValue("#text"), "hello\nshow me markdown");
    await page.press("#text", "Enter");
    await page.waitForSelector(".msg.in:has-text('show me markdown')");
    assert.equal(await page.inputValue("#text"), "", "the composer is cleared");
    await page.waitForSelector("#chat-status:has-text('Andy is working')");
    const reply = page.locator(".msg.out", { hasText: "Here is" });
    await reply.waitFor();
    assert.equal(await reply.locator("strong").innerText(), "bold");
    assert.equal(await reply.locator("code").innerText(), "code");
    assert.equal(await reply.locator("li").count(), 2);
    assert.match(await reply.innerText(), /<img src=x onerror=/, "the tag stays text");
    assert.equal(await reply.locator("img").count(), 0);
    assert.equal(await reply.locator("a").count(), 1, "only the https link is a link");
    assert.equal(await reply.locator("a").getAttribute("href"), "https://example.com/docs");
    assert.equal(await page.evaluate("window.pwned"), undefined);
    await page.waitForSelector("#chat-status:not(:has-text('working'))");
    await assertLabelled();
    await shot("chat");
  });

  it("streams each reply of a turn as it arrives and shows the tool being used", async () => {
    await page.fill("#text", "remind me every hour about the news");
    await page.press("#text", "Enter");
    // The first reply arrives while the turn is still going on (the next one is delayed).
    await page.waitForSelector(".msg.out:has-text('On it.')");
    await page.waitForSelector("#chat-status:has-text('schedule_task')");
    assert.equal(await page.locator(".msg.out:has-text('Scheduled it.')").count(), 0);
    await page.waitForSelector(".msg.out:has-text('Scheduled it.')");
  });

  it("shows the conversation with search and the tools of the last turn", async () => {
    await page.goto(`${service.url}/conversations?group=main&q=hello`);
    await page.waitForSelector("#history li:has-text('hello')");
    assert.equal(await page.locator("#history li:has-text('every hour')").count(), 0);
    await page.waitForSelector("#activity-tools li:has-text('schedule_task')");
    await page.goto(`${service.url}/conversations?group=main`);
    await page.waitForSelector("#history li.out:has-text('Scheduled it.')");
    await assertLabelled();
    await shot("conversations");
  });

  it("pauses a task from the task list", async () => {
    await page.goto(`${service.url}/tasks`);
    const task = page.locator("section.task", { hasText: "check the news" });
    await task.locator("button:has-text('pause')").click();
    await page.waitForSelector("section.task button:has-text('resume')");
    const { tasks } = (await (await api(service, "/api/tasks")).json()) as {
      tasks: { status: string }[];
    };
    assert.equal(tasks[0]?.status, "paused");
    await page.click("section.task summary:has-text('Run history')");
    await assertLabelled();
    await shot("tasks");
  });

  it("records a voice message that reaches the model as an audio attachment", async () => {
    await page.goto(service.url);
    await page.waitForSelector("#composer");
    await page.click("#record");
    await page.waitForSelector("#record[aria-pressed=true]");
    await page.click("#record");
    await page.waitForSelector(".msg.in .attachment:has-text('voice message')");
    await page.waitForSelector(".msg.out:has-text('Got your voice note.')");
    const prompt = fake
      .mainRequests()
      .map((request) => lastUserText(request.body))
      .find((text) => text.includes('kind="audio"'));
    assert.ok(prompt, "the model was shown an audio attachment");
    assert.match(prompt, /path="attachments\/\d+-0-voice\.webm"/);
  });

  it("shows usage after replies and edits the daily spend cap", async () => {
    await page.goto(`${service.url}/usage`);
    await page.waitForSelector("#usage-table tbody tr:has-text('Main')");
    await page.waitForSelector("#usage-chart svg");
    await page.waitForSelector("#budget-daily");
    await page.fill("#budget-daily", "5");
    await page.click("#budget-form button[type=submit]");
    await page.waitForSelector("#budget-saved:has-text('Saved')");
    const budget = (await (await api(service, "/api/budget")).json()) as { dailyUsd: number };
    assert.equal(budget.dailyUsd, 5);
    await page.waitForSelector("#usage-today:has-text('of $5.00 cap')");
    await assertLabelled();
    await shot("usage");
  });

  it("shows recent log lines filtered by level", async () => {
    await page.goto(`${service.url}/logs?level=info`);
    await page.waitForSelector("#log-lines tbody tr:has-text('Pincer is up')");
    assert.equal(await page.locator("#log-lines tr.level-debug").count(), 0);
    await assertLabelled();
    await shot("logs");
    await page.goto(`${service.url}/logs?level=error`);
    assert.equal(await page.locator("#log-lines tbody tr:has-text('Pincer is up')").count(), 0);
  });

  it("fits the chat on a phone screen", async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const small = await phone.newPage();
    watch(small);
    await logIn(small);
    await small.waitForSelector(".msg.out:has-text('Got your voice note.')");
    // The test is type-checked without DOM types, so the page-side code is a string.
    const layout = (await small.evaluate(`({
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      composerBottom: document.getElementById("composer").getBoundingClientRect().bottom,
      height: window.innerHeight,
    })`)) as { overflow: number; composerBottom: number; height: number };
    assert.ok(layout.overflow <= 0, `no sideways scrolling (${layout.overflow}px too wide)`);
    assert.ok(layout.composerBottom <= layout.height, "the composer is on screen");
    await small.screenshot({ path: join(ARTIFACTS, "chat-phone.png") });
    await phone.close();
  });

  it("logs out", async () => {
    await page.click("#logout");
    await page.waitForSelector("#login");
    await page.goto(`${service.url}/tasks`);
    await page.waitForSelector("#login");
    assert.deepEqual(problems, [], "no script errors or CSP refusals");
  });
});
