// A `.env` file in the working directory configures a local run. A variable set in the real
// environment wins over the file, and a key from the file is kept from agents exactly like
// one from the environment: out of every process's environment block, agents' included.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
} from "./harness.ts";

const API_KEY = "sk-ant-dotenv-key-6b2f";

describe("settings from .env", () => {
  let model: AnthropicFake;
  let service: Service;
  const workDir = tempDir("pincer-cwd-");

  before(async () => {
    model = await startAnthropicFake();
    writeFileSync(
      join(workDir, ".env"),
      [
        "# a local run",
        `ANTHROPIC_API_KEY=${API_KEY}`,
        `ANTHROPIC_BASE_URL=${model.url}`,
        "ASSISTANT_NAME=Filey",
        "TZ=Europe/Paris",
      ].join("\n"),
    );
    service = await startService({ cwd: workDir, env: { ASSISTANT_NAME: "Envy" } });
  });
  after(async () => {
    await service?.stop();
    await model?.close();
    if (service) removeDir(service.dataDir);
    removeDir(workDir);
  });

  it("are used, and a variable set in the environment wins", async () => {
    const setup = (await (await api(service, "/api/setup")).json()) as {
      assistantName: string;
      timeZone: string;
      credential: { present: boolean };
    };
    assert.equal(setup.timeZone, "Europe/Paris", "from the file");
    assert.equal(setup.assistantName, "Envy", "the environment wins");
    assert.equal(setup.credential.present, true, "the key from the file");
  });

  it("keep the key out of every process's environment block, the agents' included", async () => {
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "hello from a .env key");
    await waitFor(() => sse.messages().find((m) => /echo/.test(m.text)), "the reply", 90_000);
    await sse.close();
    const main = model.mainRequests();
    assert.ok(main.length > 0);
    for (const request of main) assert.equal(request.headers["x-api-key"], API_KEY);
    let seen = 0;
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      let environ: string;
      try {
        environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      } catch {
        continue; // gone, or another user's when not root
      }
      if (environ.includes(`ANTHROPIC_BASE_URL=${model.url}`)) seen++;
      assert.ok(!environ.includes(API_KEY), `process ${pid} has the .env key in its environment`);
    }
    assert.ok(seen > 0, "the service's own environment was among those read");
  });
});
