// The service as a process with a tiny DAILY_BUDGET_USD, the real Agent SDK and Claude
// Code CLI, and the fake model reporting usage: the cap stops model calls, the chat is
// told once, and raising the cap from the API lets the next message through.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import {
  api,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "../e2e/harness.ts";

const NOTICE =
  /^Daily budget of \$0\.000001 reached for all chats \(spent \$0\.\d+ today\); model calls resume at midnight Europe\/Berlin\.$/;

let fake: AnthropicFake;
let service: Service;
const dataDir = tempDir();

before(async () => {
  fake = await startAnthropicFake();
  service = await startService({
    dataDir,
    env: {
      ANTHROPIC_API_KEY: "sk-ant-e2e-budget-0000",
      ANTHROPIC_BASE_URL: fake.url,
      DAILY_BUDGET_USD: "0.000001",
      TZ: "Europe/Berlin",
    },
  });
});
after(async () => {
  await service.stop();
  await fake.close();
  removeDir(dataDir);
});

async function outbound(): Promise<string[]> {
  const response = await api(service, "/api/chat/messages?limit=200");
  const { messages } = (await response.json()) as {
    messages: { direction: string; text: string }[];
  };
  return messages.filter((m) => m.direction === "out").map((m) => m.text);
}

const notAnswered = () =>
  service.output().match(/message not answered: Daily budget/g)?.length ?? 0;

test(
  "at the daily cap the chat is told once, and a raised cap lets the next message through",
  { timeout: 180_000 },
  async () => {
    const sse = listen(service);
    await sse.ready;

    await sendChat(service, "first question");
    const first = await waitFor(() => sse.messages()[0], "the first reply", 60_000);
    assert.match(first.text, /^echo: .*first question/);
    assert.equal(fake.mainRequests().length, 1);

    await sendChat(service, "second question");
    const notice = await waitFor(() => sse.messages()[1], "the budget notice", 60_000);
    assert.match(notice.text, NOTICE);
    assert.equal(fake.mainRequests().length, 1, "the refused call never reached the model");

    await sendChat(service, "third question");
    await waitFor(() => notAnswered() >= 1 || undefined, "the third message to be refused", 60_000);
    assert.equal(fake.mainRequests().length, 1);

    const raised = await api(service, "/api/budget", {
      method: "PUT",
      body: JSON.stringify({ dailyUsd: 100 }),
    });
    assert.equal(raised.status, 200, await raised.clone().text());
    assert.equal(((await raised.json()) as { dailyUsd: number }).dailyUsd, 100);

    await sendChat(service, "fourth question");
    const fourth = await waitFor(
      () => sse.messages()[2],
      "the reply after raising the cap",
      60_000,
    );
    assert.match(fourth.text, /^echo: [\s\S]*fourth question/);

    const texts = await outbound();
    assert.equal(texts.length, 3, JSON.stringify(texts));
    assert.equal(texts.filter((text) => NOTICE.test(text)).length, 1, "exactly one budget notice");
    assert.equal(notAnswered(), 1);

    const usage = (await (await api(service, "/api/usage/daily?days=1")).json()) as {
      days: { groups: { folder: string; outputTokens: number; costUsd: number }[] }[];
      today: { spentUsd: number; capUsd: number | null };
    };
    assert.equal(usage.today.capUsd, 100);
    assert.ok(usage.today.spentUsd > 0);
    const main = usage.days[0]!.groups.find((g) => g.folder === "main");
    assert.ok(main && main.outputTokens > 0 && main.costUsd > 0, JSON.stringify(usage));
    await sse.close();
  },
);
