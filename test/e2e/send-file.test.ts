// send_file end to end: the fake model makes files with Bash and sends them with the tool;
// the web chat's message event carries them as attachments whose URL downloads only with the
// admin token; a hostile path (a link to /etc/passwd, a link to another group's file, a
// path outside the folder, a FIFO) is refused with words naming the problem.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  toolResultFor,
  toolResults,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram/server.ts";
import { openDb } from "../../src/store/db.ts";
import { markCopyRemoved } from "../../src/store/outbound-files.ts";
import {
  api,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const REPLY_TIMEOUT = 90_000;
/** A real 1x1 PNG, which the page is to show inline. */
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const PNG = Buffer.from(PNG_BASE64, "base64");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Runs `use` on the web chat's page in Chromium, logged in; the browser closes after. */
async function onChatPage(service: Service, use: (page: Page) => Promise<void>): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`${service.url}/login`);
    await page.fill("#token", service.token);
    await page.click("#login button");
    await page.waitForSelector("#composer");
    await use(page);
  } finally {
    await browser.close();
  }
}

const BASH: Record<string, string> = {
  make: [
    `echo ${PNG_BASE64} | base64 -d > chart.png`,
    "printf '<script>alert(1)</script>' > page.html",
    "ln -s /etc/passwd passwd.txt",
    "ln -s ../work/secret.txt secret.txt",
    'mkf""ifo pipe',
    "mkdir -p reports",
    "echo made",
  ].join(" && "),
};

const SENDS: Record<string, Record<string, unknown>> = {
  chart: { path: "chart.png", caption: "The **chart**" },
  page: { path: "page.html" },
  passwd: { path: "passwd.txt" },
  secret: { path: "secret.txt" },
  outside: { path: "../work/secret.txt" },
  etc: { path: "/etc/passwd" },
  pipe: { path: "pipe" },
  folder: { path: "reports" },
  missing: { path: "nothing-here.pdf" },
  tofamily: { path: "chart.png", caption: "For you", target_group: "family" },
  pagetofamily: { path: "page.html", target_group: "family" },
};
const ALICE = { id: 7001, first_name: "Alice" };

describe("send_file through the service", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service;
  const results = new Map<string, { text: string; isError: boolean }>();

  /** Sends `<kind>:<name> now` from the web chat; returns the tool's result for it. */
  async function step(kind: "bash" | "send", name: string) {
    const text = `${kind}:${name} now`;
    const before = model.mainRequests().length;
    await sendChat(service, text);
    const turn = await waitFor(
      () => toolResultFor(model.mainRequests().slice(before), text),
      `the tool result of ${text}`,
      REPLY_TIMEOUT,
    );
    const [result] = toolResults(turn.body);
    const content = result?.content;
    const body = Array.isArray(content)
      ? content.map((block: { text?: string }) => block.text ?? "").join("")
      : String(content);
    results.set(name, { text: body, isError: result?.isError ?? false });
  }

  before(async () => {
    model = await startAnthropicFake((request) => {
      if (isToolResultTurn(request)) return { text: "done" };
      const text = lastUserText(request);
      const bash = /bash:(\w+) now/.exec(text)?.[1];
      if (bash) return { toolUse: { name: "Bash", input: { command: BASH[bash]! } } };
      const send = /send:(\w+) now/.exec(text)?.[1];
      if (send) return { toolUse: { name: "mcp__pincer__send_file", input: SENDS[send]! } };
      return { text: `echo: ${text.slice(-40)}` };
    });
    // Another group's file, which the main agent links to.
    mkdirSync(join(dataDir, "groups", "work"), { recursive: true });
    writeFileSync(join(dataDir, "groups", "work", "secret.txt"), "work's secret");
    telegram = await startTelegramFake({ botUsername: "pincer_send_file_bot" });
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-send-file-0000",
        ANTHROPIC_BASE_URL: model.url,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
      },
    });
    await step("bash", "make");
    telegram.injectMessage({ chatId: ALICE.id, from: ALICE, text: "hello" });
    await waitFor(async () => {
      const response = await api(service, "/api/groups", {
        method: "POST",
        body: JSON.stringify({ chat: `telegram:${ALICE.id}`, folder: "family" }),
      });
      return response.status === 201 || undefined;
    }, "family registered");
  });
  after(async () => {
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("sends an image to the web chat: the event carries it, the URL needs the token", async () => {
    const sse = listen(service);
    await sse.ready;
    await step("send", "chart");
    assert.deepEqual(results.get("chart"), {
      text: `Sent chart.png (${PNG.length} bytes) to Main.`,
      isError: false,
    });
    const event = await waitFor(
      () =>
        sse.events
          .filter((e) => e.event === "message")
          .map(
            (e) =>
              JSON.parse(e.data) as {
                text: string;
                attachments: { name: string; type: string; size: number; url: string }[];
              },
          )
          .find((m) => m.attachments.length > 0),
      "the message event with the file",
      REPLY_TIMEOUT,
    );
    await sse.close();
    assert.equal(event.text, "The **chart**");
    assert.equal(event.attachments.length, 1);
    const [file] = event.attachments;
    assert.deepEqual(
      { ...file, url: undefined },
      {
        name: "chart.png",
        type: "image/png",
        size: PNG.length,
        url: undefined,
      },
    );

    const without = await fetch(`${service.url}${file!.url}`);
    assert.equal(without.status, 401);
    const wrong = await fetch(`${service.url}${file!.url}`, {
      headers: { authorization: "Bearer not-the-token" },
    });
    assert.equal(wrong.status, 401);
    const response = await api(service, file!.url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "image/png");
    assert.match(response.headers.get("content-disposition")!, /^inline; filename="chart.png"/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), PNG);

    // The history API lists it too.
    const history = (await (await api(service, "/api/chat/messages")).json()) as {
      messages: { text: string; attachments: { url?: string }[] }[];
    };
    const listed = history.messages.find((m) => m.text === "The **chart**");
    assert.equal(listed?.attachments[0]?.url, file!.url);
    // So does the group's conversation.
    const conversation = (await (await api(service, "/api/groups/main/messages")).json()) as {
      messages: { text: string; attachments: { kind: string; fileName: string }[] }[];
    };
    assert.deepEqual(conversation.messages.find((m) => m.text === "The **chart**")?.attachments, [
      {
        kind: "file",
        fileName: "chart.png",
        name: "chart.png",
        type: "image/png",
        size: PNG.length,
        url: file!.url,
      },
    ]);
  });

  it("serves HTML the agent wrote only as an opaque download, never inline", async () => {
    await step("send", "page");
    assert.equal(results.get("page")?.isError, false);
    const history = (await (await api(service, "/api/chat/messages")).json()) as {
      messages: { attachments: { name?: string; url?: string }[] }[];
    };
    const url = history.messages
      .flatMap((m) => m.attachments)
      .find((a) => a.name === "page.html")?.url;
    assert.ok(url, "the page is listed");
    const response = await api(service, url);
    assert.equal(response.headers.get("content-type"), "application/octet-stream");
    assert.match(response.headers.get("content-disposition")!, /^attachment; filename="page.html"/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  });

  it(
    "the page shows the image inline and the other file as a download link",
    { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` },
    async () => {
      await onChatPage(service, async (page) => {
        // The image loads (with the session cookie, under the page's CSP): 1x1 pixels.
        // (Polled with evaluate: waitForFunction's string form runs eval, which the CSP blocks.)
        await page.waitForSelector('img.sent-image[alt="chart.png"]');
        await waitFor(
          async () =>
            (await page.evaluate(
              `document.querySelector('img.sent-image[alt="chart.png"]').naturalWidth === 1`,
            )) || undefined,
          "the image loaded",
        );
        const link = await page.waitForSelector('a.attachment[download="page.html"]');
        assert.match((await link.textContent()) ?? "", /page\.html \(1 KB\)/);
        assert.match((await link.getAttribute("href")) ?? "", /^\/api\/chat\/files\/\d+$/);
        assert.equal(await page.$("iframe, object, embed"), null);
      });
    },
  );

  it(
    "a file no longer kept shows as such on both pages, and its URL answers 410",
    { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` },
    async () => {
      const history = (await (await api(service, "/api/chat/messages")).json()) as {
        messages: { id: number; attachments: { name?: string }[] }[];
      };
      const chart = history.messages.find((m) => m.attachments[0]?.name === "chart.png")!;
      // As the retention leaves it (core/outbound-retention.ts, tested on its own).
      const db = openDb(join(dataDir, "store", "pincer.db"));
      markCopyRemoved(db, chart.id, Date.now());
      db.close();
      const note =
        "chart.png is no longer kept: files the assistant sends to the web chat are kept for 90 days (ATTACHMENT_RETENTION_DAYS).";
      const gone = await api(service, `/api/chat/files/${chart.id}`);
      assert.equal(gone.status, 410);
      assert.deepEqual(await gone.json(), { error: note });

      await onChatPage(service, async (page) => {
        const bubble = page.locator(`[data-id="${chart.id}"]`);
        await bubble.waitFor();
        assert.equal(await bubble.locator(".attachment").textContent(), `📎 ${note}`);
        assert.equal(await bubble.locator("img, a").count(), 0, "no broken image or link");
        await page.goto(`${service.url}/conversations?group=main`);
        const item = page.locator(`li[data-id="${chart.id}"]`);
        assert.match((await item.textContent()) ?? "", /chart\.png is no longer kept: .* 90 days/);
        assert.equal(await item.locator("a").count(), 0);
      });
    },
  );

  it("main sends to a Telegram chat through the outbox: retried once, then failed visibly", async () => {
    // A 502 is retried; the photo arrives once, with its caption.
    telegram.failNext("sendPhoto", { status: 502, description: "Bad Gateway" });
    await step("send", "tofamily");
    assert.deepEqual(results.get("tofamily"), {
      text: `Sent chart.png (${PNG.length} bytes) to Alice.`,
      isError: false,
    });
    const photos = () => telegram.sent.filter((m) => m.chat.id === ALICE.id && m.photo);
    await waitFor(() => photos().length > 0 || undefined, "the photo", REPLY_TIMEOUT);
    const [photo] = photos();
    assert.equal(photo!.caption, "For you");
    assert.deepEqual(Buffer.from(telegram.fileBytes(photo!.photo!.at(-1)!.file_id)!), PNG);
    assert.equal(
      telegram.calls.filter((call) => call.method === "sendPhoto").length,
      2,
      "one 502, one success",
    );

    // A 400 is not retried: the delivery is listed as failed, with the platform's reason.
    telegram.failNext("sendDocument", { status: 400, description: "Bad Request: no thanks" });
    await step("send", "pagetofamily");
    const failed = await waitFor(async () => {
      const list = (await (await api(service, "/api/outbox/failed")).json()) as {
        failed: { file: { name: string } | null; lastError: string }[];
      };
      return list.failed.find((item) => item.file?.name === "page.html");
    }, "the failed delivery");
    assert.match(failed.lastError, /no thanks/);
    await waitFor(() => photos().length === 1 || undefined, "still one photo");
    // Only the web chat's copies are kept; the Telegram ones went once settled, and the
    // conversation says so instead of offering a link.
    assert.equal(readdirSync(join(dataDir, "store", "outbound-files")).length, 2);
    const conversation = (await (await api(service, "/api/groups/family/messages")).json()) as {
      messages: { text: string; attachments: { url?: string | null; removed?: string }[] }[];
    };
    const sent = conversation.messages.find((m) => m.text === "For you")?.attachments[0];
    assert.equal(sent?.url, null);
    assert.equal(
      sent?.removed,
      "chart.png is no longer kept: Pincer deletes its copy of a file once telegram has it.",
    );
  });

  it("refuses hostile paths, naming the problem", async () => {
    for (const name of ["passwd", "secret", "outside", "etc", "pipe", "folder", "missing"])
      await step("send", name);
    const refused = (name: string) => {
      const result = results.get(name)!;
      assert.equal(result.isError, true, `${name} is refused`);
      return result.text;
    };
    assert.match(refused("passwd"), /^passwd\.txt is or passes through a symbolic link/);
    assert.match(refused("secret"), /^secret\.txt is or passes through a symbolic link/);
    assert.match(refused("outside"), /^\.\.\/work\/secret\.txt is outside your folder/);
    assert.match(refused("etc"), /^\/etc\/passwd is outside your folder/);
    assert.match(refused("pipe"), /pipe is not a regular file \(a FIFO/);
    assert.match(refused("folder"), /reports is a folder, not a regular file/);
    assert.equal(refused("missing"), "There is no file nothing-here.pdf in your folder.");
    // Nothing of them reached the chat.
    const history = (await (await api(service, "/api/chat/messages")).json()) as {
      messages: { attachments: { name?: string }[] }[];
    };
    const names = history.messages.flatMap((m) => m.attachments.map((a) => a.name));
    assert.deepEqual(
      names.filter((name) => name !== undefined),
      ["chart.png", "page.html"],
    );
  });
});
