// A group's own model, end to end: the service's MODEL is the default, a model set on the
// group reaches the model requests at the group's next turn without a new agent process, a
// turn running when it is set finishes on the old model, and the usage API shows the cost
// per model.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  echoResponder,
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import { api, listen, removeDir, sendChat, startService, tempDir, waitFor } from "./harness.ts";
import type { Service } from "./harness.ts";

const DEFAULT_MODEL = "claude-sonnet-4-5";
// A model that takes an effort level, so the request shows it.
const GROUP_MODEL = "claude-opus-4-5";
// The agent waits in this command until the test creates the file, so the model can be
// changed while its turn is certainly running.
const WAIT_COMMAND = "while [ ! -e go ]; do sleep 0.1; done; echo went";

describe("model per group", () => {
  let fake: AnthropicFake;
  let service: Service;
  const dataDir = tempDir();

  before(async () => {
    fake = await startAnthropicFake();
    fake.setResponder((request, context) => {
      const text = lastUserText(request);
      if (context.main && text.includes("wait for it") && !isToolResultTurn(request))
        return { toolUse: { name: "Bash", input: { command: WAIT_COMMAND } } };
      if (isToolResultTurn(request)) return { text: "done waiting" };
      return echoResponder(request, context);
    });
    service = await startService({
      dataDir,
      env: {
        ANTHROPIC_API_KEY: "sk-ant-model-e2e-0000",
        ANTHROPIC_BASE_URL: fake.url,
        MODEL: DEFAULT_MODEL,
      },
    });
  });
  after(async () => {
    await service?.stop();
    await fake.close();
    removeDir(dataDir);
  });

  it("uses MODEL, then the group's model from its next turn, never mid-turn", async () => {
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "wait for it");
    const started = await waitFor(() => fake.mainRequests()[0], "the first turn's request");
    assert.equal(started.body.model, DEFAULT_MODEL);

    const patched = await api(service, "/api/groups/main", {
      method: "PATCH",
      body: JSON.stringify({ model: GROUP_MODEL, effort: "low" }),
    });
    assert.equal(patched.status, 200);
    writeFileSync(join(dataDir, "groups", "main", "go"), "");
    await waitFor(
      () => sse.messages().find((m) => m.text === "done waiting"),
      "the first turn's end",
    );
    // The next turn starts after this one has ended: a message that arrives while the CLI is
    // still closing the turn is read into it, with the model it began with.
    await waitFor(() => {
      const reply = sse.events.findIndex(
        (e) => e.event === "message" && e.data.includes("done waiting"),
      );
      const idle = sse.events.findLastIndex((e) => e.event === "status" && e.data.includes("idle"));
      return (reply >= 0 && idle > reply) || undefined;
    }, "the first turn to end");
    const firstTurn = fake.mainRequests();
    assert.ok(firstTurn.length >= 2, "the turn went through a tool call");
    assert.deepEqual(
      [...new Set(firstTurn.map((r) => r.body.model))],
      [DEFAULT_MODEL],
      "the running turn kept its model",
    );

    await sendChat(service, "and now?");
    await waitFor(
      () => sse.messages().find((m) => m.text.includes("and now?")),
      "the second turn's reply",
    );
    const secondTurn = fake.mainRequests().slice(firstTurn.length);
    assert.ok(secondTurn.length > 0);
    assert.deepEqual([...new Set(secondTurn.map((r) => r.body.model))], [GROUP_MODEL]);
    const effortOf = (r: (typeof secondTurn)[number]) =>
      (r.body as { output_config?: { effort?: string } }).output_config?.effort;
    assert.deepEqual(
      secondTurn.map(effortOf),
      secondTurn.map(() => "low"),
    );
    assert.ok(
      firstTurn.every((r) => effortOf(r) === undefined),
      "no effort before it was set",
    );
    assert.equal(
      service.output().match(/agent session starting/g)?.length,
      1,
      "the change needed no new agent process",
    );
    assert.match(service.output(), /"model":"claude-opus-4-5","effort":"low".*agent model changed/);
    await sse.close();

    const usage = (await (await api(service, "/api/usage/daily?days=1")).json()) as {
      models: { model: string; requests: number; costUsd: number }[];
    };
    const models = new Set(usage.models.map((m) => m.model));
    assert.ok(models.has(DEFAULT_MODEL) && models.has(GROUP_MODEL), [...models].join(", "));
    assert.ok(usage.models.every((m) => m.requests > 0 && m.costUsd > 0));
  });
});
