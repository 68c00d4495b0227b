// The service as a process, the real Agent SDK and Claude Code CLI, and a fake model on
// 127.0.0.1: the conversation path end to end.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deferred } from "../helpers/wait.ts";
import {
  echoResponder,
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

const API_KEY = "sk-ant-e2e-secret-key-0000";

function modelEnv(fake: AnthropicFake): Record<string, string> {
  return { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: fake.url };
}

async function outbound(service: Service): Promise<{ id: number; text: string }[]> {
  const response = await api(service, "/api/chat/messages?limit=200");
  const { messages } = (await response.json()) as {
    messages: { id: number; direction: string; text: string }[];
  };
  return messages.filter((m) => m.direction === "out");
}

describe("conversation", () => {
  let fake: AnthropicFake;
  const dataDir = tempDir();
  let service: Service;

  before(async () => {
    fake = await startAnthropicFake();
  });
  after(async () => {
    await service?.stop();
    await fake.close();
    removeDir(dataDir);
  });

  it("answers, keeps the agent warm for a follow-up, and resumes after a restart", async () => {
    service = await startService({ dataDir, env: modelEnv(fake) });
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "hello, my name is Ada");
    const first = await waitFor(() => sse.messages()[0], "the first reply");
    assert.match(first.text, /^echo: .*hello, my name is Ada/);

    await sendChat(service, "what is my name?");
    await waitFor(() => sse.messages()[1], "the follow-up reply");
    const sessions = new Set(fake.mainRequests().map((r) => r.headers["x-claude-code-session-id"]));
    assert.equal(sessions.size, 1, "both turns ran in one warm session");
    assert.equal(service.output().match(/agent session starting/g)?.length, 1, "one agent process");
    // The model saw the proxy's per-session token, never... the proxy swapped in the real key.
    assert.equal(fake.mainRequests()[0]!.headers["x-api-key"], API_KEY);
    await sse.close();
    assert.equal(await service.stop(), 0);

    service = await startService({ dataDir, env: modelEnv(fake) });
    const again = listen(service);
    await again.ready;
    await sendChat(service, "still there?");
    await waitFor(() => again.messages()[0], "a reply after restart");
    assert.match(service.output(), /"resume":true/);
    const last = fake.mainRequests().at(-1)!;
    assert.match(
      JSON.stringify(last.body.messages),
      /hello, my name is Ada/,
      "the old conversation was resumed",
    );
    await again.close();
  });

  it("replaces a session that cannot be resumed with a fresh one, once", async () => {
    assert.equal(await service.stop(), 0);
    rmSync(join(dataDir, "agents/main/.claude/projects"), { recursive: true, force: true });
    service = await startService({ dataDir, env: modelEnv(fake) });
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "do you remember me?");
    const reply = await waitFor(() => sse.messages()[0], "a reply from a fresh session");
    assert.match(reply.text, /do you remember me/);
    assert.equal(service.output().match(/could not be resumed/g)?.length, 1);
    await sse.close();
  });

  it("counts the tokens of each model call for the group and has no failed deliveries", async () => {
    const usage = (await (await api(service, "/api/usage?since=0")).json()) as {
      groups: { groupId: number; requests: number; inputTokens: number; outputTokens: number }[];
    };
    const main = usage.groups.find((row) => row.groupId === 1);
    assert.ok(main && main.requests >= 4, JSON.stringify(usage));
    assert.ok(main.inputTokens > 0 && main.outputTokens > 0);
    const failed = (await (await api(service, "/api/outbox/failed")).json()) as {
      failed: unknown[];
    };
    assert.deepEqual(failed.failed, []);
  });
});

describe("crash safety", () => {
  let fake: AnthropicFake;
  const dataDir = tempDir();
  let service: Service | undefined;
  // The first answer is held until the test ends: the service is killed while it waits.
  const neverInTime = deferred();

  before(async () => {
    fake = await startAnthropicFake();
  });
  after(async () => {
    neverInTime.resolve();
    await service?.stop();
    await fake.close();
    removeDir(dataDir);
  });

  it("answers a message exactly once when the service is killed mid-turn", async () => {
    fake.setResponder((request, context) =>
      context.main &&
      lastUserText(request).includes("slow question") &&
      fake.mainRequests().length === 1
        ? { text: "answer that never arrives", until: neverInTime.promise }
        : echoResponder(request, context),
    );
    service = await startService({ dataDir, env: modelEnv(fake) });
    await sendChat(service, "a slow question");
    await waitFor(() => fake.mainRequests().length >= 1 || undefined, "the model call");
    await service.kill();

    service = await startService({ dataDir, env: modelEnv(fake) });
    const sse = listen(service, 0);
    await sse.ready;
    const reply = await waitFor(() => sse.messages()[0], "the reply after restart");
    assert.match(reply.text, /slow question/);
    // Let the recovered session finish and go idle before counting.
    await waitFor(
      () => sse.events.some((e) => e.event === "status" && e.data.includes("idle")) || undefined,
      "idle",
    );
    await service.stop();
    service = await startService({ dataDir, env: modelEnv(fake) });
    const replies = await outbound(service);
    assert.equal(replies.length, 1, `replies: ${JSON.stringify(replies)}`);
    assert.equal(fake.mainRequests().length, 2, "the message went to the model once per process");
    await sse.close();
  });
});

describe("graceful shutdown", () => {
  it("lets a running turn finish and deliver its reply before exiting on SIGTERM", async () => {
    const dataDir = tempDir();
    const fake = await startAnthropicFake((request, context) =>
      lastUserText(request).includes("finish first")
        ? { text: "finished before exit", delayMs: 1_500 }
        : echoResponder(request, context),
    );
    let service = await startService({ dataDir, env: modelEnv(fake) });
    await sendChat(service, "finish first");
    await waitFor(() => fake.mainRequests().length >= 1 || undefined, "the model call");
    assert.equal(await service.stop(), 0);
    service = await startService({ dataDir, env: modelEnv(fake) });
    const replies = await outbound(service);
    assert.deepEqual(
      replies.map((reply) => reply.text),
      ["finished before exit"],
    );
    await service.stop();
    assert.equal(fake.mainRequests().length, 1, "not answered again after the restart");
    await fake.close();
    removeDir(dataDir);
  });
});

describe("model errors", () => {
  let fake: AnthropicFake;
  let service: Service;
  const dataDir = tempDir();

  before(async () => {
    fake = await startAnthropicFake((request, context) =>
      lastUserText(request).includes("always overloaded")
        ? { error: 529 }
        : echoResponder(request, context),
    );
    service = await startService({ dataDir, env: { ...modelEnv(fake), MODEL_MAX_RETRIES: "1" } });
  });
  after(async () => {
    await service.stop();
    await fake.close();
    removeDir(dataDir);
  });

  it("retries a 529 and still answers", async () => {
    const sse = listen(service);
    await sse.ready;
    fake.enqueue({ error: 529 });
    await sendChat(service, "first try fails");
    const reply = await waitFor(() => sse.messages()[0], "the reply");
    assert.match(reply.text, /first try fails/);
    await sse.close();
  });

  it("tells the user plainly when the model stays overloaded", async () => {
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "always overloaded");
    const reply = await waitFor(() => sse.messages()[0], "the error reply");
    assert.match(reply.text, /overloaded/i);
    assert.doesNotMatch(reply.text, /127\.0\.0\.1/, "no raw gateway detail");
    await sse.close();
  });
});

describe("agent tools and isolation", () => {
  let fake: AnthropicFake;
  let service: Service;
  const dataDir = tempDir();

  before(async () => {
    fake = await startAnthropicFake();
    mkdirSync(join(dataDir, "groups/main/.claude/skills/packing-list"), { recursive: true });
    writeFileSync(
      join(dataDir, "groups/main/.claude/skills/packing-list/SKILL.md"),
      "---\nname: packing-list\ndescription: Make a packing list for a trip.\n---\nList items by category.\n",
    );
    service = await startService({ dataDir, env: modelEnv(fake) });
  });
  after(async () => {
    await service.stop();
    await fake.close();
    removeDir(dataDir);
  });

  it("offers Pincer's tools up front and not Claude Code's session-only ones", async () => {
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "hi");
    await waitFor(() => sse.messages()[0], "a reply");
    const tools = fake.mainRequests()[0]!.body.tools!.map((t) => t.name);
    assert.ok(tools.includes("mcp__pincer__send_message"), tools.join(","));
    assert.ok(tools.includes("mcp__pincer__register_group"), "main has register_group");
    for (const banned of ["CronCreate", "ScheduleWakeup", "SendMessage", "EnterWorktree"]) {
      assert.ok(!tools.includes(banned), `${banned} is offered`);
    }
    const request = JSON.stringify(fake.mainRequests()[0]!.body);
    assert.match(request, /packing-list/, "the group's own skill is offered");
    assert.match(request, /remember/, "the bundled skill is offered");
    await sse.close();
  });

  it("sends with send_message and finds old messages with search_history", async () => {
    const sse = listen(service);
    await sse.ready;
    fake.setResponder((request) => {
      if (isToolResultTurn(request)) return { text: "done" };
      const text = lastUserText(request);
      if (text.includes("progress please")) {
        return {
          toolUse: {
            name: "mcp__pincer__send_message",
            input: { text: "working on it <internal>secret plan</internal>" },
          },
        };
      }
      if (text.includes("search please")) {
        return { toolUse: { name: "mcp__pincer__search_history", input: { query: "hi" } } };
      }
      return { text: `echo: ${text}` };
    });
    await sendChat(service, "progress please");
    await waitFor(() => (sse.messages().length >= 2 ? true : undefined), "two messages");
    assert.deepEqual(
      sse.messages().map((m) => m.text),
      ["working on it", "done"],
    );
    await sendChat(service, "search please");
    await waitFor(() => (sse.messages().length >= 3 ? true : undefined), "the search turn");
    const result = toolResults(fake.mainRequests().at(-1)!.body)[0]!;
    assert.match(JSON.stringify(result.content), /Owner: hi/);
    await sse.close();
  });

  it("keeps host secrets out of the agent's environment and blocks /proc snooping", async () => {
    const sse = listen(service);
    await sse.ready;
    fake.setResponder((request) => {
      if (isToolResultTurn(request)) return { text: "looked" };
      const text = lastUserText(request);
      if (text.includes("show env"))
        return { toolUse: { name: "Bash", input: { command: "env" } } };
      return { toolUse: { name: "Bash", input: { command: "cat /proc/1/environ" } } };
    });
    const before = sse.messages().length;
    await sendChat(service, "show env");
    await waitFor(() => (sse.messages().length > before ? true : undefined), "the env turn");
    const envResult = JSON.stringify(toolResults(fake.mainRequests().at(-1)!.body)[0]!.content);
    assert.match(envResult, /ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1/);
    assert.doesNotMatch(envResult, new RegExp(API_KEY));
    assert.doesNotMatch(envResult, /ADMIN_TOKEN/);

    await sendChat(service, "snoop");
    await waitFor(() => (sse.messages().length > before + 1 ? true : undefined), "the snoop turn");
    const snoop = toolResults(fake.mainRequests().at(-1)!.body)[0]!;
    assert.match(JSON.stringify(snoop.content), /Blocked by Pincer/);
    assert.doesNotMatch(service.output(), new RegExp(API_KEY), "the key never reaches the log");
    await sse.close();
  });
});
