// A hostile agent against the host's file handling: what the security review broke, each
// reproduced through the real service with the fake model driving the agent's Bash.
// - the main agent replaces the shared memory with a link to the admin token, hoping the
//   host reads it into every prompt;
// - an agent turns its CLAUDE.md into a FIFO, hoping the memory API stalls the service;
// - an agent leaves a process whose leader exited while a thread runs on, hoping it
//   survives the reaping (and could race the host later);
// - an unregistered group's uid must never be handed to a new group.
// Needs root, as the service then isolates.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  toolResultFor,
  toolResults,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram/server.ts";
import { processesOf } from "../../src/agent/isolation/reaper.ts";
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

const API_KEY = "sk-ant-hostile-fs-key-0000";
const ADMIN_TOKEN = "an-admin-token-for-the-fs-suite-0000";
const INTRUDER = { id: 5151, first_name: "Mallory" };
const NEWCOMER = { id: 5252, first_name: "Nina" };
const REPLY_TIMEOUT = 90_000;
const isRoot = process.getuid?.() === 0;

function hasCompiler(): boolean {
  try {
    execFileSync("cc", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const SURVIVOR_C = [
  "#include <pthread.h>",
  "#include <unistd.h>",
  "static void *spin(void *a) { (void)a; for (;;) sleep(1); return 0; }",
  "int main(void) { pthread_t t; pthread_create(&t, 0, spin, 0); pthread_exit(0); }",
];

const ATTACKS: Record<string, string> = {
  // The shared memory is the host's: the main agent can no longer swap it for a link.
  globallink: 'cd ../global && ln -sf ../../admin-tok""en CLAUDE.md 2>&1; echo "rc=$?"',
  environlink: 'cd ../global && ln -sf /proc/self/env""iron CLAUDE.md 2>&1; echo "rc=$?"',
  fifo: 'rm -f CLAUDE.md && mkf""ifo CLAUDE.md && ls -l CLAUDE.md | cut -c1',
  survivor: `cd "$TMPDIR" && printf '%s\\n' ${SURVIVOR_C.map((line) => `'${line}'`).join(" ")} > s.c && cc -pthread -o survivor s.c && (setsid ./survivor > /dev/null 2>&1 &) && sleep 1 && echo started`,
};

describe(
  "a hostile agent against the host's file handling",
  {
    skip: isRoot
      ? false
      : "needs root: agents only get their own uids when the service runs as root",
  },
  () => {
    const dataDir = tempDir();
    let model: AnthropicFake;
    let telegram: TelegramFake;
    let service: Service;
    const results = new Map<string, string>();

    /** Sends `attack:<name>` from the chat and returns what the agent's Bash printed. */
    async function attack(name: string, send: (text: string) => Promise<unknown>) {
      const before = model.mainRequests().length;
      await send(`attack:${name} now`);
      const turn = await waitFor(
        () => toolResultFor(model.mainRequests().slice(before), `attack:${name} now`),
        `the tool result of ${name}`,
        REPLY_TIMEOUT,
      );
      results.set(name, JSON.stringify(toolResults(turn.body)[0]?.content ?? ""));
    }

    const fromIntruder = async (text: string) =>
      telegram.injectMessage({ chatId: INTRUDER.id, from: INTRUDER, text });

    async function registerChat(id: number, folder: string): Promise<void> {
      await waitFor(async () => {
        const response = await api(service, "/api/groups", {
          method: "POST",
          body: JSON.stringify({ chat: `telegram:${id}`, folder, requiresTrigger: false }),
        });
        return response.status === 201 || undefined;
      }, `${folder} registered`);
    }

    async function mainSays(text: string): Promise<void> {
      const sse = listen(service);
      await sse.ready;
      await sendChat(service, text);
      await waitFor(
        () => sse.messages().find((m) => m.text.includes(text.slice(0, 20))),
        `main answers "${text}"`,
        REPLY_TIMEOUT,
      );
      await sse.close();
    }

    before(async () => {
      model = await startAnthropicFake((request) => {
        if (isToolResultTurn(request)) return { text: "done" };
        const text = lastUserText(request);
        const marker = Object.keys(ATTACKS).find((name) => text.includes(`attack:${name} `));
        if (!marker) return { text: `echo: ${text.slice(-40)}` };
        return { toolUse: { name: "Bash", input: { command: ATTACKS[marker]! } } };
      });
      telegram = await startTelegramFake({ botUsername: "pincer_hostile_fs_bot" });
      writeFileSync(join(dataDir, "admin-token"), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
      service = await startService({
        dataDir,
        env: {
          ANTHROPIC_API_KEY: API_KEY,
          ANTHROPIC_BASE_URL: model.url,
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          // Sessions close soon after their turn, so each attack's leftovers are reaped
          // and the next message starts a fresh session (which reads the shared memory).
          AGENT_IDLE_TIMEOUT: "2s",
        },
      });
      await mainSays("hello main");
      await attack("globallink", (text) => sendChat(service, text));
      await attack("environlink", (text) => sendChat(service, text));

      telegram.injectMessage({ chatId: INTRUDER.id, from: INTRUDER, text: "knock knock" });
      await registerChat(INTRUDER.id, "intruder");
      await attack("fifo", fromIntruder);
      if (hasCompiler()) await attack("survivor", fromIntruder);
    });
    after(async () => {
      await service?.stop();
      await telegram?.close();
      await model?.close();
      removeDir(dataDir);
    });

    it("cannot swap the shared memory for a link, and no prompt ever holds a secret", async () => {
      assert.match(results.get("globallink")!, /Permission denied/);
      assert.match(results.get("environlink")!, /Permission denied/);
      assert.equal(statSync(join(dataDir, "groups", "global")).uid, 0);
      // A fresh session of the main chat reads the shared memory into its prompt.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await mainSays("after the attack");
      for (const request of model.requests) {
        const body = JSON.stringify(request.body);
        assert.doesNotMatch(body, new RegExp(ADMIN_TOKEN), "the admin token reached a prompt");
        assert.doesNotMatch(body, new RegExp(API_KEY), "the model key reached a prompt");
      }
    });

    it("a FIFO for a memory file neither stalls the memory page nor the service", async () => {
      assert.match(results.get("fifo")!, /p/);
      const response = await api(service, "/api/memory/intruder", {
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(response.status, 409);
      assert.match(((await response.json()) as { error: string }).error, /not a regular file/);
      const health = await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(health.status, 200);
    });

    it(
      "leaves nothing of the agent's uid running once its session ends, not even a thread whose leader exited",
      { skip: hasCompiler() ? false : "needs a C compiler for the agent to build the survivor" },
      async () => {
        assert.match(results.get("survivor")!, /started/);
        const uid = statSync(join(dataDir, "groups", "intruder")).uid;
        assert.ok(uid >= 30_000);
        // The session closes after 2 s idle; its release reaps the uid.
        await waitFor(
          async () => ((await processesOf(uid)).length === 0 ? true : undefined),
          "no process of the intruder's uid",
          30_000,
        );
      },
    );

    it("never gives an unregistered group's uid to a new group, and takes its files back", async () => {
      const oldUid = statSync(join(dataDir, "groups", "intruder")).uid;
      const removed = await api(service, "/api/groups/intruder", { method: "DELETE" });
      assert.equal(removed.status, 200);
      assert.equal(statSync(join(dataDir, "groups", "intruder")).uid, 0);
      assert.equal(statSync(join(dataDir, "agents", "intruder")).uid, 0);
      telegram.injectMessage({ chatId: NEWCOMER.id, from: NEWCOMER, text: "hi there" });
      await registerChat(NEWCOMER.id, "newcomer");
      const before = telegram.sent.length;
      telegram.injectMessage({ chatId: NEWCOMER.id, from: NEWCOMER, text: "first question" });
      await waitFor(
        () =>
          telegram.sent.slice(before).find((message) => /first question/.test(message.text ?? "")),
        "the newcomer's group answers",
        REPLY_TIMEOUT,
      );
      const newUid = statSync(join(dataDir, "groups", "newcomer")).uid;
      assert.ok(newUid >= 30_000);
      assert.notEqual(newUid, oldUid);
    });
  },
);
