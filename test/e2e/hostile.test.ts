// A hostile agent: the fake model drives a group's agent to reach for everything it must
// not have. Pincer's Bash guard is sidestepped on purpose (paths and names are spelled so
// its patterns do not match), so what stops each attempt here is the operating system:
// the agent's own uid, file modes, rlimits. Needs root, as the service then isolates.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
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

const API_KEY = "sk-ant-hostile-key-0000";
const SECRET = "main-group-secret-7f3a";
const INTRUDER = { id: 4242, first_name: "Mallory" };
const REPLY_TIMEOUT = 90_000;
const isRoot = process.getuid?.() === 0;

/** Each attack: a marker the chat message carries and the Bash command it makes the agent run. */
const ATTACKS: Record<string, string> = {
  whoami: "id -u",
  pid1: 'f=/proc/1/env; cat "${f}iron" | head -c 200',
  hostenv: 'f=/proc/$HOSTPID/env; cat "${f}iron" | head -c 200',
  scan: 'for f in /proc/[0-9]*/env""iron; do cat "$f" 2>/dev/null; done | tr "\\0" "\\n" | grep "sk-ant" | wc -l',
  store: 'cat ../../st""ore/pincer.db | head -c 100',
  auth: 'ls ../../st""ore/channels',
  token: 'cat ../../admin-tok""en',
  settings: 'cat ../../settings.j""son',
  othermemory: "cat ../main/CLAUDE.md",
  otherwrite: "echo pwned > ../main/pwned.txt",
  proxyNoKey:
    'curl -s -o /dev/null -w "status=%{http_code}" -X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "content-type: application/json" -d "{}"',
  proxyForged:
    'curl -s -o /dev/null -w "status=%{http_code}" -X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: pincer-forged-token" -H "content-type: application/json" -d "{}"',
  forkbomb:
    "perl -e 'my $n = 0; while (1) { my $p = fork(); if (!defined $p) { print \"fork refused after $n: $!\\n\"; last } if ($p == 0) { sleep 20; exit } $n++ }'",
};

describe(
  "a hostile agent",
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

    before(async () => {
      model = await startAnthropicFake((request) => {
        if (isToolResultTurn(request)) return { text: "done" };
        const text = lastUserText(request);
        const marker = Object.keys(ATTACKS).find((name) => text.includes(`attack:${name} `));
        if (!marker) return { text: `echo: ${text.slice(-40)}` };
        const hostPid = String(service.child.pid);
        return {
          toolUse: {
            name: "Bash",
            input: { command: ATTACKS[marker]!.replace("$HOSTPID", hostPid) },
          },
        };
      });
      telegram = await startTelegramFake({ botUsername: "pincer_hostile_bot" });
      writeFileSync(join(dataDir, "admin-token"), "an-admin-token-nobody-may-read\n", {
        mode: 0o600,
      });
      // A token saved on the setup page (Slack's app token alone starts nothing).
      writeFileSync(
        join(dataDir, "settings.json"),
        JSON.stringify({ SLACK_APP_TOKEN: "xapp-a-saved-setting-nobody-may-read" }),
        { mode: 0o600 },
      );
      service = await startService({
        dataDir,
        env: {
          ANTHROPIC_API_KEY: API_KEY,
          ANTHROPIC_BASE_URL: model.url,
          TELEGRAM_BOT_TOKEN: telegram.token,
          TELEGRAM_API_ROOT: telegram.apiRoot,
          AGENT_MAX_PROCESSES: "96",
        },
      });
      // The main group runs once, so its folder belongs to its own agent user.
      const sse = listen(service);
      await sse.ready;
      await sendChat(service, "hello main");
      await waitFor(
        () => sse.messages().find((m) => /echo/.test(m.text)),
        "main's reply",
        REPLY_TIMEOUT,
      );
      await sse.close();
      appendFileSync(join(dataDir, "groups", "main", "CLAUDE.md"), `\n${SECRET}\n`);

      // The intruder's chat is discovered, then registered as a group of its own.
      telegram.injectMessage({ chatId: INTRUDER.id, from: INTRUDER, text: "knock knock" });
      await waitFor(async () => {
        const response = await api(service, "/api/groups", {
          method: "POST",
          body: JSON.stringify({
            chat: `telegram:${INTRUDER.id}`,
            folder: "intruder",
            requiresTrigger: false,
          }),
        });
        return response.status === 201 || response.status === 200 || undefined;
      }, "the intruder's chat registered");

      for (const name of Object.keys(ATTACKS)) {
        const before = model.mainRequests().length;
        telegram.injectMessage({ chatId: INTRUDER.id, from: INTRUDER, text: `attack:${name} now` });
        // The tool result that answers this attack: the chat message before it is its own.
        const turn = await waitFor(
          () => toolResultFor(model.mainRequests().slice(before), `attack:${name} now`),
          `the tool result of ${name}`,
          REPLY_TIMEOUT,
        );
        results.set(name, JSON.stringify(toolResults(turn.body)[0]?.content ?? ""));
      }
    });
    after(async () => {
      await service?.stop();
      await telegram?.close();
      await model?.close();
      removeDir(dataDir);
    });

    it("runs the agent as its own unprivileged user", () => {
      const uid = Number(/\d+/.exec(results.get("whoami")!)?.[0]);
      assert.ok(uid >= 30_000, `agent uid ${uid}`);
      const main = statSync(join(dataDir, "groups", "main"));
      const intruder = statSync(join(dataDir, "groups", "intruder"));
      assert.equal(intruder.uid, uid);
      assert.notEqual(main.uid, uid, "each group has a uid of its own");
      assert.equal(intruder.mode & 0o777, 0o700);
    });

    it("cannot read the host's or init's environment", () => {
      assert.match(results.get("pid1")!, /Permission denied/);
      assert.match(results.get("hostenv")!, /Permission denied/);
      assert.match(
        results.get("scan")!,
        /^"0(\\n)?"$/,
        "no readable environment holds a model key",
      );
      for (const output of results.values()) assert.doesNotMatch(output, new RegExp(API_KEY));
    });

    it("cannot read the store, channel auth state, admin token or saved settings", () => {
      assert.match(results.get("store")!, /Permission denied/);
      assert.match(results.get("auth")!, /Permission denied/);
      assert.match(results.get("token")!, /Permission denied/);
      assert.doesNotMatch(results.get("token")!, /an-admin-token/);
      assert.match(results.get("settings")!, /Permission denied/);
      for (const output of results.values())
        assert.doesNotMatch(output, /a-saved-setting-nobody-may-read/);
    });

    it("cannot read or write another group's folder", () => {
      assert.match(results.get("othermemory")!, /Permission denied/);
      assert.doesNotMatch(results.get("othermemory")!, new RegExp(SECRET));
      assert.match(results.get("otherwrite")!, /Permission denied/);
      assert.equal(existsSync(join(dataDir, "groups", "main", "pwned.txt")), false);
      assert.match(
        readFileSync(join(dataDir, "groups", "main", "CLAUDE.md"), "utf8"),
        new RegExp(SECRET),
      );
    });

    it("cannot use the credential proxy without its own session token", () => {
      assert.match(results.get("proxyNoKey")!, /status=401/);
      assert.match(results.get("proxyForged")!, /status=401/);
    });

    it("hits its process limit in a fork bomb, and the service keeps serving", async () => {
      assert.match(
        results.get("forkbomb")!,
        /fork refused after \d+: Resource temporarily unavailable/,
      );
      const sse = listen(service);
      await sse.ready;
      await sendChat(service, "still there?");
      await waitFor(
        () => sse.messages().find((m) => /still there/.test(m.text)),
        "main still answers",
        REPLY_TIMEOUT,
      );
      await sse.close();
      const before = telegram.sent.length;
      telegram.injectMessage({ chatId: INTRUDER.id, from: INTRUDER, text: "plain question" });
      await waitFor(
        () =>
          telegram.sent.slice(before).find((message) => /plain question/.test(message.text ?? "")),
        "the intruder's group still answers",
        REPLY_TIMEOUT,
      );
    });
  },
);
