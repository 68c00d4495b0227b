// The `pincer` command (bin/pincer, as a process) against the real service with the fake
// model: status, groups, a piped chat, a backup from the running service, a restore that
// is refused while it runs and works once it is stopped, and a wrong token.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { api, removeDir, startService, tempDir, type Service } from "./harness.ts";

const PINCER = fileURLToPath(new URL("../../bin/pincer", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pincer(args: string[], env: Record<string, string>, input = ""): Promise<Run> {
  const child = spawn(PINCER, args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.end(input);
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

async function chatTexts(service: Service): Promise<string[]> {
  const response = await api(service, "/api/chat/messages?limit=200");
  const { messages } = (await response.json()) as { messages: { text: string }[] };
  return messages.map((message) => message.text);
}

describe("the pincer command", () => {
  let fake: AnthropicFake;
  let service: Service;
  const dataDir = tempDir();
  const work = tempDir();
  let previous: string | undefined;
  const env = () => ({ PINCER_URL: service.url, PINCER_TOKEN: service.token });

  before(async () => {
    fake = await startAnthropicFake();
    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-cli-e2e-0000", ANTHROPIC_BASE_URL: fake.url },
    });
  });
  after(async () => {
    await service?.stop();
    await fake.close();
    removeDir(dataDir);
    removeDir(work);
    if (previous) removeDir(previous);
  });

  it("status --json and groups describe the running service", async () => {
    const status = await pincer(["status", "--json"], env());
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as {
      assistantName: string;
      credential: string;
      channels: Record<string, { status: string }>;
    };
    assert.equal(parsed.assistantName, "Andy");
    assert.equal(parsed.credential, "ok");
    assert.equal(parsed.channels.web?.status, "connected");

    const groups = await pincer(["groups"], env());
    assert.equal(groups.code, 0, groups.stderr);
    assert.match(groups.stdout, /^FOLDER +NAME +CHAT +TRIGGER +MODEL +EFFORT$/m);
    assert.match(
      groups.stdout,
      /^main \(main\) +Main +web:main +\(every message\) +default +default$/m,
    );
  });

  it("groups set changes a group's model and effort, and says what is wrong", async () => {
    const set = await pincer(
      ["groups", "set", "main", "--model", "sonnet", "--effort", "low"],
      env(),
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /main: model sonnet, effort low/);
    assert.match((await pincer(["groups"], env())).stdout, /\(every message\) +sonnet +low$/m);

    const bad = await pincer(["groups", "set", "main", "--effort", "extreme"], env());
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /effort: expected one of low, medium, high, xhigh, max/);

    const reset = await pincer(
      ["groups", "set", "main", "--model", "default", "--effort", "default"],
      env(),
    );
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /main: model default, effort default/);
  });

  it("chat sends a piped line and prints the model's reply", async () => {
    const run = await pincer(["chat"], env(), "hello from the terminal\n");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^echo: .*hello from the terminal/);
    assert.ok((await chatTexts(service)).includes("hello from the terminal"));
  });

  it("config sets a token from standard input, shows it masked, refuses a bad zone and unsets", async () => {
    const token = "xapp-1-A0CLIE2E-0000000000000-cli-config-token";
    const set = await pincer(["config", "set", "SLACK_APP_TOKEN"], env(), `${token}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^SLACK_APP_TOKEN saved: ••••oken$/m);
    const shown = await pincer(["config"], env());
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /SLACK_APP_TOKEN\s+••••oken\s+saved/);
    assert.match(shown.stdout, /ANTHROPIC_API_KEY\s+••••0000\s+environment \(wins\)/);
    assert.doesNotMatch(shown.stdout + set.stdout, new RegExp(token));
    const bad = await pincer(["config", "set", "TZ", "Mars/Olympus"], env());
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /TZ: expected an IANA time zone/);
    const unset = await pincer(["config", "unset", "SLACK_APP_TOKEN"], env());
    assert.equal(unset.code, 0, unset.stderr);
    assert.match(unset.stdout, /SLACK_APP_TOKEN removed/);
  });

  it("a wrong token fails with a clear message that does not show it", async () => {
    const wrong = "not-the-token-and-secret-0042";
    const run = await pincer(["status", "--token", wrong], { PINCER_URL: service.url });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`the service at ${service.url} refused the admin token from --token`),
    );
    assert.ok(!(run.stdout + run.stderr).includes(wrong));
  });

  it("backs up the running service and restores it once stopped", async () => {
    const archive = join(work, "pincer.tar.gz");
    const backup = await pincer(["backup", "--output", archive], env());
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^Backup written to /);

    // Written after the backup: the restore must take it away again.
    const later = await pincer(["chat"], env(), "said after the backup\n");
    assert.equal(later.code, 0, later.stderr);

    const refused = await pincer(["restore", archive, "--data-dir", dataDir], {});
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /restore refused: .*is in use: stop the Pincer service/);

    assert.equal(await service.stop(), 0);
    const restored = await pincer(["restore", archive], { DATA_DIR: dataDir });
    assert.equal(restored.code, 0, restored.stderr);
    previous = /kept in (\S+)\./.exec(restored.stdout)?.[1];
    assert.ok(previous && existsSync(previous), restored.stdout);

    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-cli-e2e-0000", ANTHROPIC_BASE_URL: fake.url },
    });
    const texts = await chatTexts(service);
    assert.ok(texts.includes("hello from the terminal"), texts.join(" | "));
    assert.ok(
      texts.some((text) => /^echo: .*hello from the terminal/.test(text)),
      texts.join(" | "),
    );
    assert.ok(!texts.includes("said after the backup"), texts.join(" | "));
    const status = await pincer(["status", "--json"], env());
    assert.equal(status.code, 0, status.stderr);
  });
});
