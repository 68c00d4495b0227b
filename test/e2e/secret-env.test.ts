// Secrets given in the environment do not stay in the service's environment block
// (/proc/<pid>/environ keeps what a process was started with, whatever process.env says
// later): the service re-executes itself without them, same pid, and still uses them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { listen, removeDir, sendChat, startService, waitFor, type Service } from "./harness.ts";

const API_KEY = "sk-ant-environ-key-5a1e";
const TELEGRAM_TOKEN = "123456:environ-telegram-token-77";
const EMAIL_PASSWORD = "environ-mail-password-31c4";
const MATRIX_TOKEN = "syt_environ_matrix_token_9d02";

function environOf(pid: number | string): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return new Map(
    entries.map((entry) => [entry.split("=")[0]!, entry.slice(entry.indexOf("=") + 1)]),
  );
}

describe("secrets in the service's environment", () => {
  let model: AnthropicFake;
  let service: Service;

  before(async () => {
    model = await startAnthropicFake();
    service = await startService({
      env: {
        ANTHROPIC_API_KEY: API_KEY,
        ANTHROPIC_BASE_URL: model.url,
        // Not connected (no fake Telegram here): only its place in the environment matters.
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_API_ROOT: "http://127.0.0.1:9",
        // Neither is connected: the mail password and the Matrix token are credentials too.
        EMAIL_PASSWORD,
        MATRIX_ACCESS_TOKEN: MATRIX_TOKEN,
      },
    });
  });
  after(async () => {
    await service?.stop();
    await model?.close();
    if (service) removeDir(service.dataDir);
  });

  it("are gone from /proc/<pid>/environ and the command line, and so is the hand-over file", () => {
    const pid = service.child.pid!;
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    for (const secret of [API_KEY, TELEGRAM_TOKEN, EMAIL_PASSWORD, MATRIX_TOKEN, service.token]) {
      assert.ok(!environ.includes(secret), "not in the environment block");
      assert.ok(!cmdline.includes(secret), "not on the command line");
    }
    assert.equal(environOf(pid).get("ANTHROPIC_BASE_URL"), model.url, "other settings stay");
    const handover = environOf(pid).get("PINCER_SECRETS_FILE");
    assert.ok(handover, "the service re-executed itself with a hand-over file");
    assert.equal(existsSync(handover), false, "which it deleted");
  });

  it("are in no process's environment block, the agents' included", async () => {
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "hello from a clean environment");
    await waitFor(() => sse.messages().find((m) => /echo/.test(m.text)), "the reply", 90_000);
    await sse.close();
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      let environ: string;
      try {
        environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      } catch {
        continue; // gone, or another user's when not root
      }
      assert.ok(!environ.includes(API_KEY), `process ${pid} has the key in its environment`);
    }
  });

  it("still reach the model: the upstream gets the key", () => {
    const main = model.mainRequests();
    assert.ok(main.length > 0);
    for (const request of main) assert.equal(request.headers["x-api-key"], API_KEY);
  });
});
