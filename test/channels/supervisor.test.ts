// Which platforms run for a configuration, and how a changed setting restarts only the
// platforms that read it.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Channel, ChannelHost, ChannelState } from "../../src/channels/channel.ts";
import type { ChannelDescriptor } from "../../src/channels/registry.ts";
import { ChannelSupervisor } from "../../src/channels/supervisor.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";

class StubChannel implements Channel {
  readonly name;
  readonly token: string | undefined;
  started = false;
  stopped = false;
  constructor(name: "telegram" | "discord", token: string | undefined) {
    this.name = name;
    this.token = token;
  }
  async start(host: ChannelHost): Promise<void> {
    this.started = true;
    host.setState({ status: "connected" });
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  async send(): Promise<string[]> {
    return [];
  }
}

const stubTable: ChannelDescriptor[] = [
  {
    name: "telegram",
    variables: ["TELEGRAM_BOT_TOKEN"],
    setupHint: "paste a Telegram token",
    enabled: (config) => Boolean(config.TELEGRAM_BOT_TOKEN),
    create: async (config) => new StubChannel("telegram", config.TELEGRAM_BOT_TOKEN),
  },
  {
    name: "discord",
    variables: ["DISCORD_BOT_TOKEN"],
    setupHint: "paste a Discord token",
    enabled: (config) => Boolean(config.DISCORD_BOT_TOKEN),
    create: async (config) => new StubChannel("discord", config.DISCORD_BOT_TOKEN),
  },
];

function supervise(config: Config, table?: readonly ChannelDescriptor[]) {
  const channels = new Map<string, Channel>();
  const reports: [string, Omit<ChannelState, "since">][] = [];
  const report = (name: string, state: Omit<ChannelState, "since">) =>
    void reports.push([name, state]);
  const supervisor = new ChannelSupervisor({
    config,
    logger: createLogger("silent"),
    channels,
    host: (name) => ({
      receive: async () => {},
      discovered: () => {},
      setState: (state) => report(name, state),
    }),
    report,
    ...(table ? { table } : {}),
  });
  return { supervisor, channels, reports };
}

async function tempConfig(t: { after(fn: () => Promise<void>): void }, env = {}): Promise<Config> {
  const dir = await mkdtemp(join(tmpdir(), "pincer-supervisor-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return loadConfig({ DATA_DIR: dir, ...env });
}

test("with no platform variables every platform is reported not configured, in table order, with what to set", async (t) => {
  const { supervisor, channels, reports } = supervise(await tempConfig(t));
  await supervisor.startAll();
  assert.equal(channels.size, 0);
  assert.deepEqual(
    reports.map(([name, state]) => `${name}:${state.status}`),
    [
      "telegram:not_configured",
      "discord:not_configured",
      "slack:not_configured",
      "whatsapp:not_configured",
      "signal:not_configured",
      "matrix:not_configured",
      "email:not_configured",
    ],
  );
  assert.match(reports[2]![1].detail ?? "", /SLACK_BOT_TOKEN and SLACK_APP_TOKEN/);
});

test("a configured platform is created from its descriptor and started", async (t) => {
  const config = await tempConfig(t, { DISCORD_BOT_TOKEN: "token-not-used" });
  const { supervisor, channels } = supervise(config);
  await supervisor.startAll();
  assert.deepEqual([...channels.keys()], ["discord"]);
  await supervisor.stopAll();
  assert.equal(channels.size, 0);
});

test("a changed token restarts that platform alone, with the new value", async (t) => {
  const config = await tempConfig(t, { TELEGRAM_BOT_TOKEN: "old", DISCORD_BOT_TOKEN: "d" });
  const { supervisor, channels, reports } = supervise(config, stubTable);
  await supervisor.startAll();
  const oldTelegram = channels.get("telegram") as StubChannel;
  const discord = channels.get("discord") as StubChannel;
  config.TELEGRAM_BOT_TOKEN = "new";
  await supervisor.apply(["TELEGRAM_BOT_TOKEN"]);
  const newTelegram = channels.get("telegram") as StubChannel;
  assert.equal(oldTelegram.stopped, true, "the old connection stops");
  assert.equal(newTelegram.token, "new");
  assert.equal(newTelegram.started, true);
  assert.equal(discord.stopped, false, "the other platform carries on");
  assert.equal(channels.get("discord"), discord);
  assert.deepEqual(reports.at(-1), ["telegram", { status: "connected" }]);
});

test("a removed token stops the platform and says what to set; the assistant's name restarts them all", async (t) => {
  const config = await tempConfig(t, { TELEGRAM_BOT_TOKEN: "t", DISCORD_BOT_TOKEN: "d" });
  const { supervisor, channels, reports } = supervise(config, stubTable);
  await supervisor.startAll();
  const discord = channels.get("discord") as StubChannel;
  config.TELEGRAM_BOT_TOKEN = undefined;
  await supervisor.apply(["TELEGRAM_BOT_TOKEN"]);
  assert.equal(channels.has("telegram"), false);
  assert.deepEqual(reports.at(-1), [
    "telegram",
    { status: "not_configured", detail: "paste a Telegram token" },
  ]);
  config.ASSISTANT_NAME = "Crab";
  await supervisor.apply(["ASSISTANT_NAME"]);
  assert.equal(discord.stopped, true);
  assert.notEqual(channels.get("discord"), discord);
});

test("one change that fails does not block the next", async (t) => {
  const config = await tempConfig(t, { TELEGRAM_BOT_TOKEN: "t" });
  let failNext = true;
  const table: ChannelDescriptor[] = [
    {
      ...stubTable[0]!,
      create: async (current) => {
        if (failNext) {
          failNext = false;
          throw new Error("cannot load the platform library");
        }
        return new StubChannel("telegram", current.TELEGRAM_BOT_TOKEN);
      },
    },
  ];
  const { supervisor, channels } = supervise(config, table);
  await assert.rejects(supervisor.startAll(), /cannot load the platform library/);
  await supervisor.apply(["TELEGRAM_BOT_TOKEN"]);
  assert.equal((channels.get("telegram") as StubChannel).started, true);
});
