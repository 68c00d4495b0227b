// Scheduled tasks end to end: the agent creates one through its tool, it fires on time,
// its result reaches the chat, and a restart in between neither loses nor repeats it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  toolResults,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
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

interface TaskView {
  id: number;
  status: string;
  lastResult: string | null;
  nextRunAt: number | null;
}

async function tasks(service: Service): Promise<TaskView[]> {
  return ((await (await api(service, "/api/tasks")).json()) as { tasks: TaskView[] }).tasks;
}

describe("scheduled tasks", () => {
  let fake: AnthropicFake;
  const dataDir = tempDir();
  let service: Service | undefined;

  before(async () => {
    // The fake model schedules what it is asked to, and otherwise echoes.
    fake = await startAnthropicFake((request) => {
      if (isToolResultTurn(request)) {
        return { text: `tool said: ${JSON.stringify(toolResults(request)[0]?.content)}` };
      }
      const text = lastUserText(request);
      const ask = /schedule "(.+)" in (\d+s)/.exec(text);
      if (ask)
        return {
          toolUse: { name: "mcp__pincer__schedule_task", input: { prompt: ask[1], once: ask[2] } },
        };
      const bad = /schedule badly/.exec(text);
      if (bad)
        return {
          toolUse: { name: "mcp__pincer__schedule_task", input: { prompt: "x", cron: "61 * * *" } },
        };
      return { text: `echo: ${text}` };
    });
  });
  after(async () => {
    await service?.stop();
    await fake.close();
    removeDir(dataDir);
  });

  it("creates a task from a chat message, runs it on time and posts the result", async () => {
    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-test-000000", ANTHROPIC_BASE_URL: fake.url },
    });
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, 'schedule "water the plants" in 2s');
    const confirmation = await waitFor(() => sse.messages()[0], "the scheduling reply");
    assert.match(confirmation.text, /tool said: .*Scheduled task 1: once at/);
    const fired = await waitFor(
      () => sse.messages().find((m) => /Scheduled task #1/.test(m.text)),
      "the task's run",
    );
    assert.match(fired.text, /water the plants/);
    const [task] = await waitFor(async () => {
      const list = await tasks(service!);
      return list[0]?.status === "completed" && list[0].lastResult ? list : undefined;
    }, "the run to be recorded");
    assert.match(task!.lastResult!, /water the plants/);
    await sse.close();
  });

  it("refuses a malformed schedule with a message the agent can relay, writing no task", async () => {
    const sse = listen(service!);
    await sse.ready;
    await sendChat(service!, "schedule badly");
    const reply = await waitFor(() => sse.messages()[0], "the reply");
    assert.match(reply.text, /cron/i);
    assert.equal((await tasks(service!)).length, 1);
    await sse.close();
  });

  it("runs a task exactly once when the service restarts before it is due", async () => {
    const sse = listen(service!);
    await sse.ready;
    await sendChat(service!, 'schedule "feed the cat" in 4s');
    await waitFor(() => sse.messages()[0], "the scheduling reply");
    await sse.close();
    assert.equal(await service!.stop(), 0);

    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-test-000000", ANTHROPIC_BASE_URL: fake.url },
    });
    const task = await waitFor(async () => {
      const found = (await tasks(service!)).find((t) => t.id === 2);
      return found?.status === "completed" && found.lastResult ? found : undefined;
    }, "the task to run after restart");
    assert.match(task.lastResult!, /feed the cat/);
    const history = (await (await api(service!, "/api/chat/messages?limit=200")).json()) as {
      messages: { direction: string; text: string }[];
    };
    const runs = history.messages.filter(
      (m) => m.direction === "out" && /Scheduled task #2/.test(m.text),
    );
    assert.equal(runs.length, 1, JSON.stringify(runs));
  });

  it("pauses and resumes through the API and rejects what cannot be done", async () => {
    const cancel = await api(service!, "/api/tasks/1/pause", { method: "POST" });
    assert.equal(cancel.status, 409, "a completed task cannot be paused");
    assert.equal((await api(service!, "/api/tasks/999/pause", { method: "POST" })).status, 404);
    assert.equal((await api(service!, "/api/tasks/1/explode", { method: "POST" })).status, 404);
  });
});
