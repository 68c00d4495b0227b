// The first visit, as a new owner makes it in a real Chromium: no key yet, so the setup page
// leads through three steps; a key pasted with spaces around it is tried and saved; a
// Telegram token pasted on the page connects without a restart and the bot answers there.
// Screenshots at phone and desktop width go to test-artifacts/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram/server.ts";
import { removeDir, startService, tempDir, waitFor, type Service } from "./harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (install Debian's chromium)`;
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const KEY = "sk-ant-api03-setup-page-e2e-key";
const OWNER = { id: 5151, first_name: "Olivia" };

describe("setting up from the browser alone", { skip }, () => {
  // One browser page and one service, in the order a new owner goes: each case starts where
  // the one before it left the page.
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  const shot = async (name: string) => {
    for (const [width, height] of [
      [360, 740],
      [1280, 800],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
    }
  };

  /** Saves one setting through its form on the setup page (which reloads on success). */
  const save = async (name: string, value: string) => {
    const form = page.locator(`#setting-${name}`);
    await form.locator(`[name=value]`).fill(value);
    await Promise.all([page.waitForEvent("load"), form.locator("button[type=submit]").click()]);
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    model = await startAnthropicFake(undefined, { acceptKeys: [KEY] });
    telegram = await startTelegramFake();
    service = await startService({
      dataDir,
      env: { ANTHROPIC_BASE_URL: model.url, TELEGRAM_API_ROOT: telegram.apiRoot },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(60_000);
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${service.url}/login`);
    await page.fill("#token", service.token);
    await page.click("#login button");
    await page.waitForSelector("#composer");
  });

  after(async () => {
    await browser?.close();
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("leads a first visit without a key through three steps", async () => {
    await page.goto(`${service.url}/setup`);
    const steps = await page.locator("#first-steps ol > li strong").allInnerTexts();
    assert.deepEqual(steps, ["Paste your Anthropic API key", "Pick where to talk", "Say hello"]);
    await shot("setup-first-visit");
  });

  it("refuses a key the model API rejects, then saves one pasted with spaces around it", async () => {
    const form = page.locator("#first-steps #setting-ANTHROPIC_API_KEY");
    await form.locator("[name=value]").fill("sk-ant-api03-a-typo");
    await form.locator("button[type=submit]").click();
    await form.locator(".form-error:has-text('did not accept it')").waitFor();
    await form.locator("[name=value]").fill(`   ${KEY}  \n`);
    await Promise.all([page.waitForEvent("load"), form.locator("button[type=submit]").click()]);
    assert.equal(await page.locator("#first-steps").count(), 0, "the steps are done");
    assert.match(
      await page.locator("#check-credential").innerText(),
      /present[\s\S]*verified with/,
    );
    assert.match(
      (await page.locator("#setting-ANTHROPIC_API_KEY [name=value]").getAttribute("placeholder")) ??
        "",
      /saved: ••••-key/,
    );
  });

  it("connects Telegram when its token is pasted, without a restart, and answers there", async () => {
    assert.equal(
      await page.locator("#channel-telegram").getAttribute("data-status"),
      "not_configured",
    );
    await save("TELEGRAM_BOT_TOKEN", ` ${telegram.token} `);
    await page.locator("#channel-telegram[data-status=connected]").waitFor();
    await save("MAIN_CHAT", `telegram:${OWNER.id}`);
    telegram.injectMessage({ chatId: OWNER.id, from: OWNER, text: "hello from my phone" });
    await waitFor(
      () => telegram.sent.find((message) => message.text?.includes("hello from my phone")),
      "the answer on Telegram",
    );
    await shot("setup-connected");
    assert.deepEqual(problems, []);
  });
});
