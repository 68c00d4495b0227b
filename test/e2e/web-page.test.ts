// The web page in a real headless Chromium: log in, chat, and manage a scheduled task.
import { after, before, describe, it } from "node:test";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import { api, removeDir, startService, tempDir, waitFor, type Service } from "./harness.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (install Debian's chromium)`;

describe("web page", { skip }, () => {
  let fake: AnthropicFake;
  let service: Service;
  let browser: Browser;
  const dataDir = tempDir();

  before(async () => {
    fake = await startAnthropicFake((request) => {
      if (isToolResultTurn(request)) return { text: "Scheduled it." };
      const text = lastUserText(request);
      if (text.includes("every hour")) {
        return {
          toolUse: {
            name: "mcp__pincer__schedule_task",
            input: { prompt: "check the news", interval: "1h" },
          },
        };
      }
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
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await service?.stop();
    await fake?.close();
    removeDir(dataDir);
  });

  it("logs in, chats with Enter, and pauses a task from the list", async () => {
    const page = await browser.newPage();
    await page.goto(service.url);
    await page.fill("#token", "wrong-token-entirely");
    await page.click("#login button");
    await page.waitForSelector("#login-error:has-text('wrong admin token')");
    await page.fill("#token", service.token);
    await page.click("#login button");
    await page.waitForSelector("#composer", { state: "visible" });

    await page.fill("#text", "remind me every hour about the news");
    await page.press("#text", "Enter");
    await page.waitForSelector(".msg.out:has-text('Scheduled it.')");

    await page.click("#tasks summary");
    await page.waitForSelector("#task-rows tr:has-text('check the news')");
    await page.click("#task-rows button:has-text('pause')");
    await waitFor(async () => {
      const { tasks } = (await (await api(service, "/api/tasks")).json()) as {
        tasks: { status: string }[];
      };
      return tasks[0]?.status === "paused" || undefined;
    }, "the task to be paused");
    await page.waitForSelector("#task-rows button:has-text('resume')");
    await page.close();
  });
});
