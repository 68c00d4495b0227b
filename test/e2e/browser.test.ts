// Web browsing end to end: the real service, its agent (the real CLI) and a real Chromium,
// with the fake model scripting browser tool calls against a site on 127.0.0.1. Asserts on
// what the site received, the screenshot in the group folder, what is refused, that the
// browser closes when the chat's session idles out, and what /readyz says.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
  type FakeReply,
  type MessagesRequest,
} from "../fakes/anthropic/server.ts";
import { chromiumProblem } from "../../src/browser/launcher.ts";
import { pngSize, refOf, startTestSite, type TestSite } from "../browser/site.ts";
import {
  channelState,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const KEY = "sk-ant-test-browser-0000";

function blockText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block: { type?: string; text?: string }) =>
      block.type === "text" ? (block.text ?? "") : "",
    )
    .join("\n");
}

/** The text of every tool result in the conversation, oldest first. */
function toolResultTexts(request: MessagesRequest): string[] {
  const texts: string[] = [];
  for (const message of request.messages) {
    if (message.role !== "user" || typeof message.content === "string") continue;
    for (const block of message.content)
      if (block.type === "tool_result") texts.push(blockText(block.content));
  }
  return texts;
}

function use(name: string, input: Record<string, unknown>): FakeReply {
  return { toolUse: { name: `mcp__pincer__${name}`, input } };
}

/**
 * The scripted model: "open <url>" opens it; on the form it fills in a name and clicks
 * Send; on the thank-you page it takes a screenshot; any other tool result is reported.
 */
function browsingModel(request: MessagesRequest): FakeReply {
  if (!isToolResultTurn(request)) {
    const text = lastUserText(request);
    const open = /open ([^\s<]+)/.exec(text);
    return open ? use("browser_open", { url: open[1] }) : { text: `echo: ${text}` };
  }
  const results = toolResultTexts(request);
  const latest = results.at(-1) ?? "";
  if (/Title: Form/.test(latest))
    return use("browser_fill", { ref: refOf(latest, /textbox "Name"/), text: "Carol" });
  if (/^Filled/.test(latest)) {
    const form = results.findLast((result) => /Title: Form/.test(result)) ?? "";
    return use("browser_click", { ref: refOf(form, /button "Send"/) });
  }
  if (/Thanks, Carol/.test(latest)) return use("browser_screenshot", {});
  return { text: `tool said: ${latest}` };
}

describe("web browsing through the agent", { skip: chromiumProblem("/usr/bin/chromium") }, () => {
  let fake: AnthropicFake;
  let site: TestSite;
  let service: Service;
  const dataDir = tempDir();

  before(async () => {
    fake = await startAnthropicFake(browsingModel);
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: KEY,
        ANTHROPIC_BASE_URL: fake.url,
        CHROMIUM_PATH: "/usr/bin/chromium",
        AGENT_IDLE_TIMEOUT: "3s",
      },
    });
    // The site's redirect and bad link point at the service's own admin API.
    site = await startTestSite(`${service.url}/api/status`);
  });

  after(async () => {
    await service.stop();
    await site.close();
    await fake.close();
    removeDir(dataDir);
  });

  it("says on /readyz that browsing is available, and the owner where Chromium is", async () => {
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
      channels: Record<string, string>;
    };
    assert.equal(ready.channels.browser, "connected");
    assert.match((await channelState(service, "browser"))?.detail ?? "", /\/usr\/bin\/chromium/);
  });

  it("fills and submits a form, then saves a screenshot into the group folder", async (t) => {
    const sse = listen(service);
    await sse.ready;
    const before = fake.mainRequests().length;
    await sendChat(service, `open ${site.url}/form`);
    const reply = await waitFor(() => sse.messages()[0], "the agent's reply", 120_000);
    await sse.close();
    assert.match(reply.text, /tool said: Saved the screenshot to screenshots\/screenshot-.*\.png/);
    const submitted = site.requests.find((r) => r.method === "POST" && r.path === "/submit");
    assert.equal(submitted?.body, "name=Carol&colour=red");
    const shots = readdirSync(join(dataDir, "groups", "main", "screenshots"));
    assert.equal(shots.length, 1);
    const png = readFileSync(join(dataDir, "groups", "main", "screenshots", shots[0]!));
    assert.deepEqual(pngSize(png), { width: 1280, height: 800 });
    // The model's request that carries a tool's result comes right after the tool ran.
    const turn = fake
      .mainRequests()
      .slice(before)
      .map((r) => r.at);
    const steps = ["browser_open (cold)", "browser_fill", "browser_click", "browser_screenshot"];
    t.diagnostic(
      steps.map((step, i) => `${step}: ${turn[i + 1]! - turn[i]!} ms`).join(", ") +
        " (model request to model request, through the CLI)",
    );
    const offered = fake
      .mainRequests()
      .at(-1)!
      .body.tools!.map((tool) => tool.name);
    assert.ok(offered.includes("mcp__pincer__browser_snapshot"));
  });

  it("refuses file:///etc/passwd and the service's own port, and shows the agent why", async () => {
    for (const url of ["file:///etc/passwd", `${service.url}/api/status`]) {
      const sse = listen(service);
      await sse.ready;
      await sendChat(service, `open ${url}`);
      const reply = await waitFor(() => sse.messages()[0], "the agent's reply", 60_000);
      await sse.close();
      assert.match(reply.text, /tool said: Refused: /);
      assert.doesNotMatch(reply.text, /root:x:0/);
    }
    const redirected = listen(service);
    await redirected.ready;
    await sendChat(service, `open ${site.url}/to-admin`);
    const reply = await waitFor(() => redirected.messages()[0], "the agent's reply", 60_000);
    await redirected.close();
    assert.match(reply.text, /Refused a connection to 127\.0\.0\.1:\d+: .*own service/);
    assert.doesNotMatch(reply.text, /assistantName|pairingCode/);
  });

  it("closes the chat's browser when its session idles out", async () => {
    await waitFor(
      () => /"msg":"browser closed"/.test(service.output()) || undefined,
      "the browser to close with the idle session",
      60_000,
    );
    const profile = join(dataDir, "agents", "main", "browser-profile");
    await waitFor(
      () =>
        readdirSync("/proc")
          .filter((pid) => /^\d+$/.test(pid))
          .every((pid) => {
            try {
              return !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(profile);
            } catch {
              return true;
            }
          }) || undefined,
      "no Chromium process left on the chat's profile",
    );
  });
});

describe("without Chromium", () => {
  let fake: AnthropicFake;
  let service: Service;
  const dataDir = tempDir();

  before(async () => {
    fake = await startAnthropicFake();
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: KEY,
        ANTHROPIC_BASE_URL: fake.url,
        CHROMIUM_PATH: "/nonexistent/chromium",
      },
    });
  });

  after(async () => {
    await service.stop();
    await fake.close();
    removeDir(dataDir);
  });

  it("offers no browser tools and says why on /api/status", async () => {
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
      channels: Record<string, string>;
    };
    assert.equal(ready.channels.browser, "not_configured");
    assert.match(
      (await channelState(service, "browser"))?.detail ?? "",
      /Chromium not found at \/nonexistent\/chromium/,
    );
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "hello");
    await waitFor(() => sse.messages()[0], "the echo");
    await sse.close();
    const offered = fake
      .mainRequests()
      .at(-1)!
      .body.tools!.map((tool) => tool.name);
    assert.ok(offered.includes("mcp__pincer__send_message"));
    assert.equal(offered.filter((name) => name.includes("browser")).length, 0);
  });
});
