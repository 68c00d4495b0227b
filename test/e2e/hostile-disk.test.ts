// A hostile agent fills the disk. DATA_DIR is a small tmpfs of its own, the fake model has
// the agent `dd` until the file system is full, and the service must stay up: it refuses
// what it cannot store (clearly), tells the owner once, restarts without a crash loop and
// works again by itself once the file is gone. Needs root (to mount).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync, statfsSync } from "node:fs";
import { join } from "node:path";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
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

const REPLY_TIMEOUT = 90_000;
const QUOTA_MB = 16;
const FILLER = "filler.bin";

/** Mounts a 64 MB tmpfs on a new directory; the reason it cannot when it cannot. */
function mountSmallDisk(): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: "needs root to mount a small file system" };
  const dir = tempDir("pincer-disk-");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", dir], {
      stdio: "pipe",
    });
    return { dir };
  } catch (error) {
    removeDir(dir);
    return { skip: `cannot mount a tmpfs here: ${String(error).split("\n")[0]}` };
  }
}

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

interface LogRecord {
  level: number;
  msg: string;
}

function errorLines(service: Service, pattern: RegExp): LogRecord[] {
  return service
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogRecord)
    .filter((record) => record.level >= 50 && pattern.test(record.msg));
}

/** Sends a web chat message: either it is refused in words, or an answer arrives. */
/**
 * Sends `text` and returns the first reply after it (matching `reply`, when given: a turn
 * the full disk kept from being recorded as done may answer again first), or the refusal.
 */
async function askOrRefused(service: Service, text: string, reply?: RegExp): Promise<string> {
  const sse = listen(service);
  await sse.ready;
  try {
    const response = await api(service, "/api/chat/messages", {
      method: "POST",
      body: JSON.stringify({ text }),
    });
    if (response.status !== 202) {
      const body = (await response.json()) as { error: string };
      return `refused ${response.status}: ${body.error}`;
    }
    const { id } = (await response.json()) as { id: number };
    const answer = await waitFor(
      () => sse.messages().find((m) => m.id > id && (reply?.test(m.text) ?? true)),
      `an answer to "${text}"`,
      REPLY_TIMEOUT,
    );
    return `answered: ${answer.text}`;
  } finally {
    await sse.close();
  }
}

const disk = mountSmallDisk();

describe("an agent that fills the disk", { skip: "skip" in disk ? disk.skip : false }, () => {
  const dataDir = "dir" in disk ? disk.dir : "";
  let model: AnthropicFake;
  let service: Service;
  const ENV = () => ({
    ANTHROPIC_API_KEY: "sk-ant-disk-0000",
    ANTHROPIC_BASE_URL: model.url,
    GROUP_DISK_QUOTA_MB: String(QUOTA_MB),
  });

  before(async () => {
    // The disk is filled once: the turn that asked for it may run again (its end could not
    // be recorded on the full disk), and refilling it would hide what the test looks at.
    let filled = false;
    model = await startAnthropicFake((request) => {
      if (isToolResultTurn(request)) return { text: "the disk is filled" };
      const text = lastUserText(request);
      if (text.includes("fill the disk") && !filled) {
        filled = true;
        return {
          toolUse: {
            name: "Bash",
            input: { command: `dd if=/dev/zero of=${FILLER} bs=1M 2>&1 | tail -1` },
          },
        };
      }
      return { text: `echo: ${text.slice(-40)}` };
    });
    service = await startService({
      dataDir,
      env: ENV(),
    });
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "please fill the disk");
    await waitFor(
      () => freeBytes(dataDir) < 1024 * 1024 || undefined,
      "the agent to fill the disk",
      REPLY_TIMEOUT,
    );
    await sse.close();
  });
  after(async () => {
    await service?.stop();
    await model?.close();
    if (dataDir) {
      execFileSync("umount", ["-l", dataDir]);
      removeDir(dataDir);
    }
  });

  it("stays up, answers or refuses in words, and tells the owner once", async (t) => {
    const outcome = await askOrRefused(service, "are you there?");
    t.diagnostic(outcome);
    assert.match(outcome, /answered: .+|refused 507: .*disk .*full/);
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
    assert.equal(service.child.exitCode, null, `the service is running:\n${service.output()}`);
    const again = await askOrRefused(service, "still there?");
    t.diagnostic(again);
    assert.match(again, /answered: .+|refused 507: .*disk .*full/);
    const setup = (await (await api(service, "/api/setup")).json()) as { warnings: string[] };
    assert.ok(
      setup.warnings.some((w) => /disk .*full/i.test(w)),
      `a warning on the setup page: ${JSON.stringify(setup.warnings)}`,
    );
    assert.equal(errorLines(service, /disk .*full/i).length, 1, service.output());
  });

  it("says on the setup page that agents have no memory or CPU bound, and why", async () => {
    const setup = (await (await api(service, "/api/setup")).json()) as { warnings: string[] };
    assert.ok(
      setup.warnings.some((w) => /^No memory or CPU limit per agent: .+\(.+\)\.$/.test(w)),
      JSON.stringify(setup.warnings),
    );
  });

  it("comes up again after a restart on the full disk", async (t) => {
    assert.equal(await service.stop(), 0, service.output());
    service = await startService({
      dataDir,
      env: ENV(),
    });
    const outcome = await askOrRefused(service, "after the restart?");
    t.diagnostic(outcome);
    assert.match(outcome, /answered: .+|refused 507: .*disk .*full/);
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
    assert.equal(service.child.exitCode, null, service.output());
  });

  it("measures the chat's folder at start and says it is over its quota", async () => {
    const warning = await waitFor(
      async () => {
        const setup = (await (await api(service, "/api/setup")).json()) as { warnings: string[] };
        return setup.warnings.find((w) => /over its 16 MB quota/.test(w));
      },
      "the quota warning",
      REPLY_TIMEOUT,
    );
    assert.match(warning, /^The chat "Main" \(folder main\) takes 6\d MB, over its 16 MB quota/);
  });

  it("works again once the file is removed", async () => {
    rmSync(join(dataDir, "groups", "main", FILLER));
    await waitFor(
      async () => {
        const setup = (await (await api(service, "/api/setup")).json()) as {
          warnings: string[];
        };
        return !setup.warnings.some((w) => /disk .*full/i.test(w)) || undefined;
      },
      "the disk warning to clear",
      REPLY_TIMEOUT,
    );
    // The turn that filled the disk may run once more now that its end can be recorded
    // (seen under load: its echo came first); what counts is that the new message is answered.
    assert.match(
      await askOrRefused(service, "back again?", /back again/),
      /answered: echo: .*back again/,
    );
  });
});
