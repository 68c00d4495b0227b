// status, groups, tasks and token against a fake API: tables, --json, where the URL and
// token come from, and the messages and exit codes for what goes wrong.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, json, startFakeApi, TOKEN, type FakeApi } from "./fake-api.ts";

const STATUS = {
  assistantName: "Andy",
  timezone: "Europe/Berlin",
  credential: "ok",
  channels: {
    web: { status: "connected", detail: null, since: Date.UTC(2025, 0, 31, 9, 0), qr: false },
    telegram: {
      status: "not_configured",
      detail: "set TELEGRAM_BOT_TOKEN",
      since: 0,
      qr: false,
    },
  },
  agents: [{ groupId: 1, busy: true, pid: 4242 }],
  warnings: ["SLACK_BOT_TOKEN is set but SLACK_APP_TOKEN is not"],
  pairingCode: "ABCD1234",
  pairingExpiresAt: Date.UTC(2025, 0, 31, 9, 10),
};

const GROUPS = {
  groups: [
    {
      id: 1,
      channel: "web",
      chatId: "main",
      folder: "main",
      name: "Main",
      trigger: "@Andy",
      requiresTrigger: false,
      isMain: true,
    },
    {
      id: 2,
      channel: "telegram",
      chatId: "-100200",
      folder: "family",
      name: "Family",
      trigger: "@Andy",
      requiresTrigger: true,
      isMain: false,
    },
  ],
  discovered: [
    {
      channel: "discord",
      chatId: "777",
      name: "Gamers",
      isGroup: true,
      lastMessageAt: Date.UTC(2025, 1, 1, 12, 30),
    },
  ],
};

const TASKS = {
  tasks: [
    {
      id: 7,
      group: "family",
      prompt: "Send the\nweekly shopping list",
      schedule: 'cron "0 9 * * 1" (UTC)',
      contextMode: "group",
      hasScript: false,
      status: "active",
      nextRunAt: Date.UTC(2025, 1, 3, 9, 0),
      lastRunAt: null,
      lastResult: null,
    },
  ],
};

describe("pincer status, groups, tasks, token", () => {
  let api: FakeApi;
  const dataDir = mkdtempSync(join(tmpdir(), "pincer-cli-"));
  const env = () => ({ PINCER_URL: api.url, PINCER_TOKEN: TOKEN, DATA_DIR: dataDir });

  before(async () => {
    api = await startFakeApi();
    api.routes.set("GET /api/status", (_req, res) => json(res, 200, STATUS));
    api.routes.set("GET /api/groups", (_req, res) => json(res, 200, GROUPS));
    api.routes.set("GET /api/tasks", (_req, res) => json(res, 200, TASKS));
  });
  after(async () => {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("status prints the assistant, channels, agents by folder and warnings", async () => {
    const run = await cli(["status"], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Assistant {3}Andy \(time zone Europe\/Berlin\) at http:\/\/127/);
    assert.match(run.stdout, /Pairing {5}send "\/pair ABCD1234" .* \(until 2025-01-31 09:10 UTC\)/);
    assert.match(run.stdout, /^CHANNEL +STATUS +SINCE +DETAIL$/m);
    assert.match(run.stdout, /^web +connected +2025-01-31 09:00 UTC$/m);
    assert.match(
      run.stdout,
      /^telegram +not_configured +1970-01-01 00:00 UTC +set TELEGRAM_BOT_TOKEN$/m,
    );
    assert.match(run.stdout, /^main +working +4242$/m);
    assert.match(run.stdout, /Warning: SLACK_BOT_TOKEN is set/);
  });

  it("--json prints the service's own JSON", async () => {
    const run = await cli(["status", "--json"], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), STATUS);
    const groups = await cli(["groups", "--json"], { env: env() });
    assert.deepEqual(JSON.parse(groups.stdout), GROUPS);
  });

  it("groups lists registered groups, then chats seen but not registered", async () => {
    const run = await cli(["groups"], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^main \(main\) +Main +web:main +\(every message\) +default +default$/m,
    );
    assert.match(run.stdout, /^family +Family +telegram:-100200 +@Andy +default +default$/m);
    assert.match(run.stdout, /Seen but not registered:\nCHAT +NAME +KIND +LAST MESSAGE\n/);
    assert.match(run.stdout, /^discord:777 +Gamers +group +2025-02-01 12:30 UTC$/m);
  });

  it("tasks lists each task on one line, every time in the service's zone, named once", async () => {
    const run = await cli(["tasks"], { env: env() });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /NEXT RUN \(Europe\/Berlin\) +LAST RUN \(Europe\/Berlin\)/);
    assert.match(
      run.stdout,
      /^7 +family +active +cron "0 9 \* \* 1" \(UTC\) +2025-02-03 10:00 +- +Send the weekly shopping list +-$/m,
    );
  });

  it("--url and --token override the environment", async () => {
    const run = await cli(["groups", "--url", api.url, "--token", TOKEN], {
      env: { PINCER_URL: "http://127.0.0.1:9", PINCER_TOKEN: "wrong", DATA_DIR: dataDir },
    });
    assert.equal(run.code, 0, run.stderr);
  });

  it("a refused token names where it came from and never shows it", async () => {
    const wrong = "wrong-token-that-must-not-be-printed";
    const cases: [NodeJS.ProcessEnv, string[], RegExp][] = [
      [{ PINCER_URL: api.url, DATA_DIR: dataDir }, ["--token", wrong], /from --token/],
      [{ PINCER_URL: api.url, PINCER_TOKEN: wrong, DATA_DIR: dataDir }, [], /from PINCER_TOKEN/],
      [{ PINCER_URL: api.url, ADMIN_TOKEN: wrong, DATA_DIR: dataDir }, [], /from ADMIN_TOKEN/],
    ];
    for (const [caseEnv, flags, source] of cases) {
      const run = await cli(["status", ...flags], { env: caseEnv });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /refused the admin token/);
      assert.match(run.stderr, source);
      assert.doesNotMatch(run.stdout + run.stderr, new RegExp(wrong));
    }
    const tokenDir = mkdtempSync(join(tmpdir(), "pincer-cli-token-"));
    try {
      writeFileSync(join(tokenDir, "admin-token"), `${wrong}\n`);
      const run = await cli(["status"], { env: { PINCER_URL: api.url, DATA_DIR: tokenDir } });
      assert.equal(run.code, 1);
      assert.ok(run.stderr.includes(`from ${join(tokenDir, "admin-token")}`), run.stderr);
      assert.doesNotMatch(run.stdout + run.stderr, new RegExp(wrong));
    } finally {
      rmSync(tokenDir, { recursive: true, force: true });
    }
  });

  it("the token file is used when nothing else is given", async () => {
    const tokenDir = mkdtempSync(join(tmpdir(), "pincer-cli-token-"));
    try {
      writeFileSync(join(tokenDir, "admin-token"), `${TOKEN}\n`);
      const run = await cli(["tasks", "--data-dir", tokenDir], { env: { PINCER_URL: api.url } });
      assert.equal(run.code, 0, run.stderr);
    } finally {
      rmSync(tokenDir, { recursive: true, force: true });
    }
  });

  it("says where it looked when there is no token at all", async () => {
    const run = await cli(["status"], { env: { PINCER_URL: api.url, DATA_DIR: dataDir } });
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes(`no admin token: pass --token, set PINCER_TOKEN`));
    assert.ok(run.stderr.includes(join(dataDir, "admin-token")));
  });

  it("an unreachable service is named by its URL; the default is 127.0.0.1:$PORT", async () => {
    const stopped = await startFakeApi();
    const url = stopped.url;
    await stopped.close();
    const run = await cli(["status"], { env: { PINCER_URL: url, PINCER_TOKEN: TOKEN } });
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes(`cannot reach the Pincer service at ${url} (ECONNREFUSED)`));
    const port = new URL(url).port;
    const byPort = await cli(["status"], { env: { PORT: port, PINCER_TOKEN: TOKEN } });
    assert.ok(byPort.stderr.includes(`at http://127.0.0.1:${port} `), byPort.stderr);
  });

  it("wrong usage exits 2 with the usage text; --help exits 0", async () => {
    const none = await cli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /which command\?\n\nUsage: pincer <command>/);
    const unknown = await cli(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const option = await cli(["groups", "--colour"], { env: env() });
    assert.equal(option.code, 2);
    assert.match(option.stderr, /Unknown option '--colour'[^]*Usage: pincer groups/);
    const url = await cli(["status", "--url", "ftp://x"], { env: env() });
    assert.equal(url.code, 2);
    assert.match(url.stderr, /not an http\(s\) URL: ftp:\/\/x/);
    const help = await cli(["chat", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: pincer chat/);
    assert.equal((await cli(["help"])).code, 0);
  });

  it("token prints DATA_DIR/admin-token, and --rotate the service's new one", async () => {
    writeFileSync(join(dataDir, "admin-token"), "kept-in-the-file-0123456\n");
    const run = await cli(["token"], { env: { DATA_DIR: dataDir } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "kept-in-the-file-0123456\n");

    api.routes.set("POST /api/token/rotate", (_req, res) => json(res, 200, { token: "fresh-1" }));
    const rotated = await cli(["token", "--rotate", "--json"], { env: env() });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.deepEqual(JSON.parse(rotated.stdout), { token: "fresh-1" });

    api.routes.set("POST /api/token/rotate", (_req, res) =>
      json(res, 409, { error: "ADMIN_TOKEN is set in the environment" }),
    );
    const refused = await cli(["token", "--rotate"], { env: env() });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /409 ADMIN_TOKEN is set in the environment/);

    rmSync(join(dataDir, "admin-token"));
    const missing = await cli(["token"], { env: { DATA_DIR: dataDir } });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no admin token at .*admin-token: the service writes it/);
  });
});
