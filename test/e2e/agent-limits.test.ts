// Agents under the service's own resource limits. A container without CAP_SYS_RESOURCE and
// a hard RLIMIT_NOFILE of 1024 (Docker's default capability set, a host's ulimit) must still
// run agents; when an agent process does fail, the cause reaches the error log and the
// setup page, not only debug lines.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
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

const REPLY_TIMEOUT = 90_000;
const isRoot = process.getuid?.() === 0;

interface LogRecord {
  level: number;
  msg: string;
  stderr?: string;
}

function logRecords(service: Service): LogRecord[] {
  return service
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogRecord);
}

describe(
  "a service whose hard open-files limit is 1024",
  { skip: isRoot ? false : "needs root: agent limits apply only when agents get their own uids" },
  () => {
    let model: AnthropicFake;
    let service: Service;

    before(async () => {
      model = await startAnthropicFake();
      // Root keeps CAP_SYS_RESOURCE, but an agent's prlimit runs as the agent's uid, which
      // has none: what the agent may set is bounded by this hard limit, as in a container.
      service = await startService({
        prefix: ["prlimit", "--nofile=1024:1024", "--"],
        env: { ANTHROPIC_API_KEY: "sk-ant-limits-0000", ANTHROPIC_BASE_URL: model.url },
      });
    });
    after(async () => {
      await service?.stop();
      await model?.close();
      if (service) removeDir(service.dataDir);
    });

    it("gives agents the open files it may (not the default 4096) and says so", async () => {
      const sse = listen(service);
      await sse.ready;
      await sendChat(service, "hello under limits");
      const reply = await waitFor(
        () => sse.messages().find((m) => /echo/.test(m.text)),
        "the agent's reply",
        REPLY_TIMEOUT,
      );
      await sse.close();
      assert.match(reply.text, /hello under limits/);
      const lowered = logRecords(service).find((r) => /Agent limits lowered/.test(r.msg));
      assert.ok(lowered, "the lowered limits are logged");
      assert.match(lowered.msg, /1024 open files \(AGENT_MAX_OPEN_FILES asks 4096\)/);
      assert.equal(
        logRecords(service).filter((r) => /Agent limits lowered/.test(r.msg)).length,
        1,
        "logged once",
      );
    });
  },
);

describe("an agent process that fails", () => {
  const bin = tempDir("pincer-failing-cli-");
  const cause = "fake-claude: cannot open /opt/frobnicator: Operation not permitted";
  let model: AnthropicFake;
  let service: Service;

  before(async () => {
    // A Claude Code that dies at start: the agent's users must be able to run it.
    chmodSync(bin, 0o755);
    const cli = join(bin, "claude");
    writeFileSync(cli, `#!/bin/sh\necho "starting up" >&2\necho "${cause}" >&2\nexit 1\n`);
    chmodSync(cli, 0o755);
    model = await startAnthropicFake();
    service = await startService({
      env: {
        ANTHROPIC_API_KEY: "sk-ant-failing-0000",
        ANTHROPIC_BASE_URL: model.url,
        CLAUDE_PATH: cli,
      },
    });
  });
  after(async () => {
    await service?.stop();
    await model?.close();
    if (service) removeDir(service.dataDir);
    removeDir(bin);
  });

  it("logs the tail of its stderr at error level and shows the cause on the setup page", async () => {
    await sendChat(service, "hello?");
    const failed = await waitFor(
      () => logRecords(service).find((r) => r.msg === "agent process failed"),
      "the failure in the log",
      REPLY_TIMEOUT,
    );
    assert.ok(failed.level >= 50, `logged at error level (${failed.level})`);
    assert.match(failed.stderr ?? "", /starting up\n.*frobnicator/);
    const setup = (await (await api(service, "/api/setup")).json()) as { warnings: string[] };
    const warning = setup.warnings.find((w) => w.startsWith("Agents failing: "));
    assert.ok(warning, `a warning on the setup page: ${JSON.stringify(setup.warnings)}`);
    assert.match(warning, /exited with code 1: fake-claude: cannot open \/opt\/frobnicator/);
  });
});
