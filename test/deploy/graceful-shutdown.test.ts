// SIGTERM, as a container host sends it on redeploy: a turn that outlasts
// SHUTDOWN_GRACE_SECONDS is cut, the process exits anyway, and the cut message is answered
// after the restart. (A turn that finishes within the grace period: test/e2e/core.test.ts.)
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { lastUserText, startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { deferred } from "../helpers/wait.ts";
import { listen, removeDir, sendChat, startService, tempDir, waitFor } from "../e2e/harness.ts";

function modelEnv(fake: AnthropicFake, graceSeconds: number): Record<string, string> {
  return {
    ANTHROPIC_API_KEY: "sk-ant-shutdown-test-0000",
    ANTHROPIC_BASE_URL: fake.url,
    SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
  };
}

describe("graceful shutdown", () => {
  const dirs: string[] = [];
  const fakes: AnthropicFake[] = [];
  // The first model call is held until the test ends, so SIGTERM surely arrives while it
  // is in flight; after the restart the model answers at once.
  const firstCall = deferred();
  after(async () => {
    firstCall.resolve();
    for (const fake of fakes) await fake.close();
    for (const dir of dirs) removeDir(dir);
  });

  it("cuts a turn that outlasts the grace period, exits, and answers after restart", async () => {
    const fake = await startAnthropicFake((request, { main }) => ({
      text: `echo: ${lastUserText(request)}`,
      ...(main && fake.mainRequests().length === 1 ? { until: firstCall.promise } : {}),
    }));
    fakes.push(fake);
    const dataDir = tempDir();
    dirs.push(dataDir);
    const first = await startService({ dataDir, env: modelEnv(fake, 1) });
    const firstSse = listen(first);
    await firstSse.ready;

    await sendChat(first, "a very long job");
    await waitFor(() => fake.mainRequests().length > 0 || undefined, "the model call", 60_000);
    const code = await first.stop();
    await firstSse.close();
    assert.equal(code, 0, first.output());
    assert.equal(firstSse.messages().length, 0, "the cut turn sent nothing");

    const second = await startService({ dataDir, env: modelEnv(fake, 1) });
    const secondSse = listen(second);
    await secondSse.ready;
    const reply = await waitFor(() => secondSse.messages()[0], "the answer after restart", 60_000);
    await secondSse.close();
    assert.equal(await second.stop(), 0, second.output());
    assert.match(reply.text, /^echo: .*a very long job/);
  });
});
