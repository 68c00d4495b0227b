// Pincer's benchmark: the real service against the fake model and, in the same run, a bare
// warm query() loop against the same fake, measured by the same client. Prints a summary
// and writes everything to bench/results/<ISO timestamp>.json. See bench/README.md.
//
// `--trace` also preloads trace-hooks.ts into both systems and takes each warm message
// apart into stages (the hooks cost a little, so memory figures of a traced run are not
// the ones to quote). Pincer runs as deployed: compiled (scripts/build.sh) and started by
// scripts/serve.sh; `--from-source` runs src/main.ts under type stripping instead.
// `--soak <duration>` runs the soak mode instead (soak.ts).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  echoResponder,
  lastUserText,
  startAnthropicFake,
  type RecordedRequest,
} from "../test/fakes/anthropic/server.ts";
import { startDiscordFake } from "../test/fakes/discord/server.ts";
import {
  api,
  channelState,
  removeDir,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "../test/e2e/harness.ts";
import { openChat, type ChatClient, type RoundTrip, type StopTrip } from "./chat-client.ts";
import { BENCH_OWNER, discordChat } from "./discord-chat.ts";
import { ModelCallTimer, type ModelCall } from "./model-timing.ts";
import { allocatorEnv, allocatorOf, processTree, rssMb, treeMemory } from "./proc-memory.ts";
import { cpuPerMessage, treeCpuMs } from "./proc-cpu.ts";
import {
  latencyBreakdown,
  memoryJson,
  printSummary,
  singleMessage,
  stageBreakdown,
  type Sample,
} from "./report.ts";
import { runSoak, soakSettings } from "./soak.ts";
import { startBareLoop } from "./start-bare-loop.ts";
import { round, summarize, type Summary } from "./stats.ts";
import type { TraceEvent } from "./trace-hooks.ts";
import { traceMessage, type TraceWindow } from "./trace-stages.ts";

const WARM_MESSAGES = Number(process.env.BENCH_WARM_MESSAGES ?? 200);
const TOTAL_MESSAGES = Number(process.env.BENCH_TOTAL_MESSAGES ?? 1000);
const RSS_CHECKPOINTS = [100, TOTAL_MESSAGES];
// Long enough for V8's memory reducer to collect once a process stops allocating.
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 10_000);
const TRACE = process.argv.includes("--trace");
const FROM_SOURCE = process.argv.includes("--from-source");
const SOAK = soakSettings(process.argv);
const DISCORD_MESSAGES = Number(process.env.BENCH_DISCORD_MESSAGES ?? 100);
const DISCORD_RUN = 10;
const TARGET_WARM_RATIO = 1.1;
const TARGET_IDLE_RSS_OVER_BARE_MB = 5;
const TARGET_DISCORD_OVER_WEB_MS = 5;
const DISCORD_TOKEN = "bench-discord-token";
const OWNER_DM = "490000000000000001";
const PINCER_KEY = "sk-ant-bench-pincer-0000";
const BARE_KEY = "sk-ant-bench-bare-loop";
const MARKER = /\[bench-[a-z]+-\d+\]/;
// The streaming phase: replies written in pieces at a model-like pace, to compare the time to
// the first visible token in the web chat with the time to the full reply.
const STREAM_MESSAGES = Number(process.env.BENCH_STREAM_MESSAGES ?? 20);
const STREAM_PIECES = 40;
const STREAM_PIECE_MS = 25;
// The stop phase: replies the model would hold for a minute, stopped at their first piece.
const STOP_MESSAGES = Number(process.env.BENCH_STOP_MESSAGES ?? 5);
const HELD_REPLY_MS = 60_000;

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
const TRACE_HOOKS = pathToFileURL(fileURLToPath(new URL("./trace-hooks.ts", import.meta.url)));
const SERVE = FROM_SOURCE
  ? [process.execPath, join(ROOT, "src/main.ts")]
  : ["sh", join(ROOT, "scripts/serve.sh")];

type Cleanup = () => Promise<unknown> | void;

/** Shape of the main model requests one system sent, to show both asked for comparable work. */
function requestShape(requests: RecordedRequest[], apiKey: string) {
  const mine = requests.filter(
    (r) => r.headers["x-api-key"] === apiKey && (r.body.tools?.length ?? 0) > 0,
  );
  const first = mine[0];
  if (!first) return undefined;
  return {
    tools: first.body.tools?.length ?? 0,
    tool_names: (first.body.tools ?? []).map((t) => t.name).sort(),
    system_chars: JSON.stringify(first.body.system ?? "").length,
    body_chars: summarize(mine.map((r) => JSON.stringify(r.body).length)),
  };
}

async function settledRss(pid: number): Promise<number> {
  await sleep(SETTLE_MS);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const value = rssMb(pid);
    if (value === undefined) throw new Error(`process ${pid} is gone`);
    samples.push(value);
    await sleep(200);
  }
  return round(summarize(samples).p50);
}

async function liveAgents(service: Service): Promise<number[]> {
  const response = await api(service, "/api/status");
  const { agents } = (await response.json()) as { agents: { pid?: number }[] };
  return agents.flatMap((agent) => (agent.pid === undefined ? [] : [agent.pid]));
}

/** SIGTERM, and SIGKILL if the process has not exited after a while. */
async function stop(service: Service): Promise<void> {
  const exited = service.stop();
  const patience = sleep(15_000, "timeout", { ref: false });
  if ((await Promise.race([exited, patience])) === "timeout") await service.kill();
}

function sdkVersion(): string {
  const path = join(ROOT, "node_modules/@anthropic-ai/claude-agent-sdk/package.json");
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

function machine() {
  return {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? "unknown",
    total_memory_mb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    agent_sdk: sdkVersion(),
    // Other work on the machine shows in every latency: the 1, 5 and 15 minute load at the end.
    load_average: loadavg().map(round),
  };
}

/**
 * A second Pincer with a Discord bot (its owner's DM as a main chat) besides the web chat:
 * the same messages to both, interleaved, to compare the step from the model's last byte
 * to the reply leaving for each platform. A separate service, so that discord.js is not
 * loaded during the idle-memory reading of the first.
 */
async function discordPhase(
  fakeUrl: string,
  measure: (client: ChatClient, text: string, marker: string) => Promise<Sample>,
  cleanups: Cleanup[],
  progress: (text: string) => void,
) {
  const discord = await startDiscordFake({ token: DISCORD_TOKEN });
  cleanups.push(() => discord.close());
  discord.addDmChannel({ id: OWNER_DM, recipient: BENCH_OWNER });
  const dataDir = tempDir("pincer-bench-discord-");
  cleanups.push(() => removeDir(dataDir));
  const service = await startService({
    dataDir,
    command: SERVE,
    env: {
      ANTHROPIC_API_KEY: PINCER_KEY,
      ANTHROPIC_BASE_URL: fakeUrl,
      DISCORD_BOT_TOKEN: DISCORD_TOKEN,
      DISCORD_API_URL: discord.apiUrl,
      MAIN_CHAT: `discord:${OWNER_DM}`,
      // The phase compares the final reply's path on both chats; a live preview would make
      // Discord's first POST the preview (the streaming phase measures those).
      STREAMING: "off",
      ...allocatorEnv(),
    },
  });
  cleanups.push(() => stop(service));
  await waitFor(
    async () => (await channelState(service, "discord"))?.status === "connected" || undefined,
    "Discord to connect",
    60_000,
  );
  const web = await openChat(service);
  cleanups.push(() => web.close());
  const dm = discordChat(discord, OWNER_DM, undefined);
  let sent = 0;
  await measure(web, "hello", `[bench-web-${++sent}]`);
  await measure(dm, "hello", `[bench-discord-${sent}]`);
  progress(`Discord phase: ${DISCORD_MESSAGES} messages to each chat, in runs of ${DISCORD_RUN}`);
  const webSamples: Sample[] = [];
  const discordSamples: Sample[] = [];
  // Runs of messages to one chat, alternating which chat goes first: within a run each
  // message follows the previous reply at once, as in a conversation, so a turn's reply
  // meets the previous turn's reaction change (✅ replacing 👀) still under way.
  for (let done = 0; done < DISCORD_MESSAGES; done += DISCORD_RUN) {
    const count = Math.min(DISCORD_RUN, DISCORD_MESSAGES - done);
    const toWeb = async () => {
      for (let i = 0; i < count; i++)
        webSamples.push(await measure(web, "follow-up", `[bench-web-${++sent}]`));
    };
    const toDiscord = async () => {
      for (let i = 0; i < count; i++)
        discordSamples.push(await measure(dm, "follow-up", `[bench-discord-${++sent}]`));
    };
    if ((done / DISCORD_RUN) % 2 === 0) {
      await toWeb();
      await toDiscord();
    } else {
      await toDiscord();
      await toWeb();
    }
  }
  await web.close();
  await stop(service);
  const webStats = latencyBreakdown(webSamples);
  const discordStats = latencyBreakdown(discordSamples);
  return {
    web: webStats,
    discord: discordStats,
    model_to_reply_p50_delta_ms: round(
      discordStats.model_to_reply_ms.p50 - webStats.model_to_reply_ms.p50,
    ),
    reaction_calls: discord.calls.filter((call) => call.path.includes("/reactions/")).length,
  };
}

function readTrace(file: string): TraceEvent[] {
  return JSON.parse(readFileSync(file, "utf8")) as TraceEvent[];
}

async function main(cleanups: Cleanup[]): Promise<void> {
  const startedAt = new Date();
  const clockStart = performance.now();
  const progress = (text: string) =>
    console.log(`[${((performance.now() - clockStart) / 1000).toFixed(1)}s] ${text}`);
  const epoch = (time: number) => performance.timeOrigin + time;
  if (!FROM_SOURCE && !process.env.BENCH_SKIP_BUILD) {
    progress("building (scripts/build.sh)");
    execFileSync("sh", [join(ROOT, "scripts/build.sh")], { stdio: "inherit" });
  }

  const modelCalls = { main: 0, side: 0 };
  // A held reply's second piece: after a minute, or at once when the bench ends.
  const holds = new Set<() => void>();
  const held = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, HELD_REPLY_MS);
      holds.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  cleanups.push(() => {
    for (const release of holds) release();
  });
  // The reply is the message's marker only: an echo would make each system's history grow
  // with its own prompt format, and with it the agent's work per turn.
  const fake = await startAnthropicFake((request, context) => {
    modelCalls[context.main ? "main" : "side"]++;
    const marker = MARKER.exec(lastUserText(request))?.[0];
    if (marker?.startsWith("[bench-hold-")) {
      const pieces = ["Let me think about this for a long while ", marker];
      return { slow: { pieces, before: () => held() } };
    }
    if (marker?.startsWith("[bench-stream-")) {
      const pieces = Array.from({ length: STREAM_PIECES }, (_, i) => `word${i} `);
      pieces.push(marker);
      return { slow: { pieces, before: () => sleep(STREAM_PIECE_MS) } };
    }
    return marker ? { text: `ok ${marker}` } : echoResponder(request, context);
  });
  cleanups.push(() => fake.close());
  const timer = new ModelCallTimer(fake.url);
  cleanups.push(() => timer.stop());
  const agentPids = new Set<number>();
  // The services stop their agents on SIGTERM; this catches any a crash left behind.
  cleanups.push(() => {
    for (const pid of agentPids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
  const traceDir = TRACE ? tempDir("pincer-bench-trace-") : undefined;
  if (traceDir) cleanups.push(() => removeDir(traceDir));
  const traceEnv = (name: string): Record<string, string> =>
    traceDir
      ? {
          NODE_OPTIONS: `--import=${TRACE_HOOKS.href}`,
          BENCH_TRACE_FILE: join(traceDir, `${name}.json`),
        }
      : {};

  const measure = async (client: ChatClient, text: string, marker: string): Promise<Sample> => {
    const trip = await client.roundTrip(`${text} ${marker}`, marker);
    const share = timer.shareOf(trip.sentAt, trip.repliedAt);
    return {
      trip,
      modelMs: share.modelMs,
      calls: share.calls,
      beforeModelMs: share.beforeFirstCallMs,
      afterModelMs: share.afterLastCallMs,
    };
  };

  progress("starting Pincer (fresh DATA_DIR)");
  const pincerDir = tempDir("pincer-bench-");
  cleanups.push(() => removeDir(pincerDir));
  const serviceStart = performance.now();
  if (SOAK) {
    const heapDir = join(RESULTS, `soak-${startedAt.toISOString()}-heap`);
    const soak = await runSoak(SOAK, fake.url, SERVE, cleanups, progress, heapDir);
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `soak-${startedAt.toISOString()}.json`);
    const result = { started_at: startedAt.toISOString(), machine: machine(), soak };
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      [
        "",
        `Pincer soak (${soak.settings.duration_min} min, ${soak.messages} messages, ${soak.timeouts} unanswered)`,
        `  host RSS     ${soak.rss_mb.first} -> ${soak.rss_mb.last} MB, slope ${soak.rss_mb_per_hour} MB/hour`,
        `  open fds     ${soak.open_fds.first} -> ${soak.open_fds.last}, slope ${soak.open_fds_per_hour}/hour`,
        `  after the first window: ${soak.after_first_window.rss_mb_per_hour} MB/hour, ${soak.after_first_window.open_fds_per_hour} fds/hour`,
        ...(soak.settings.heap
          ? [
              `  V8 heap used after the first window: ${soak.after_first_window.heap_used_mb_per_hour} MB/hour (external ${soak.after_first_window.external_mb_per_hour} MB/hour); snapshots in ${soak.heap_dir}`,
            ]
          : []),
        ...soak.windows.map(
          (w) =>
            `  ${String(w.from_min).padStart(3)}-${String(w.to_min).padEnd(3)} min  p50 ${w.latency_ms?.p50 ?? "-"}  p95 ${w.latency_ms?.p95 ?? "-"}  (${w.replies} replies, ${w.timeouts} unanswered)`,
        ),
        `  JSON in ${file}`,
      ].join("\n"),
    );
    return;
  }
  const pincer = await startService({
    dataDir: pincerDir,
    command: SERVE,
    env: {
      ANTHROPIC_API_KEY: PINCER_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ...traceEnv("pincer"),
      ...allocatorEnv(),
    },
  });
  cleanups.push(() => stop(pincer));
  cleanups.push(() => {
    if (process.exitCode) console.error(`Pincer's last output:\n${pincer.output().slice(-4000)}`);
  });
  const startupMs = performance.now() - serviceStart;
  const hostPid = pincer.child.pid!;
  const allocator = allocatorOf(hostPid);
  progress(`Pincer ready in ${startupMs.toFixed(0)} ms; settling ${SETTLE_MS} ms for idle RSS`);
  const idleRss = await settledRss(hostPid);
  if ((await liveAgents(pincer)).length > 0) throw new Error("an agent is live before any message");

  const pincerChat = await openChat(pincer);
  cleanups.push(() => pincerChat.close());
  let sent = 0;
  const pincerCold = await measure(pincerChat, "hello", `[bench-pincer-${++sent}]`);
  const [pincerAgent] = await liveAgents(pincer);
  if (pincerAgent === undefined) throw new Error("Pincer reports no live agent process");
  agentPids.add(pincerAgent);
  progress(`Pincer cold first message: ${pincerCold.trip.ms.toFixed(0)} ms`);

  const rssAt: Record<string, number> = {};
  const agentAt: Record<string, ReturnType<typeof memoryJson>> = {};
  // Called after each message Pincer answered: at a checkpoint, pause and read memory.
  const checkpoint = async () => {
    if (!RSS_CHECKPOINTS.includes(sent)) return;
    progress(`${sent} messages to Pincer: settling ${SETTLE_MS} ms`);
    rssAt[`after_${sent}`] = await settledRss(hostPid);
    agentAt[`after_${sent}`] = memoryJson(treeMemory(pincerAgent));
  };

  progress("starting the bare query() loop");
  const bare = await startBareLoop(fake.url, traceEnv("bare"));
  cleanups.push(() => removeDir(bare.dataDir));
  cleanups.push(() => stop(bare));
  const bareChat = await openChat(bare);
  cleanups.push(() => bareChat.close());
  let bareSent = 0;
  const bareCold = await measure(bareChat, "hello", `[bench-bare-${++bareSent}]`);
  const bareAgents = processTree(bare.child.pid!).filter((pid) => pid !== bare.child.pid);
  for (const pid of bareAgents) agentPids.add(pid);
  progress(`bare cold first message: ${bareCold.trip.ms.toFixed(0)} ms`);

  // Alternating which system goes first in each round spreads machine noise and drift
  // evenly over both; each system still gets its messages strictly one after another.
  progress(`warm phase: ${WARM_MESSAGES} messages to each, interleaved`);
  const callsBeforeWarm = { ...modelCalls };
  const cpuBeforeWarm = { pincer: treeCpuMs(hostPid), bare: treeCpuMs(bare.child.pid!) };
  const pincerWarm: Sample[] = [];
  const bareWarm: Sample[] = [];
  for (let i = 0; i < WARM_MESSAGES; i++) {
    const toPincer = async () => {
      pincerWarm.push(await measure(pincerChat, "follow-up", `[bench-pincer-${++sent}]`));
      await checkpoint();
    };
    const toBare = async () =>
      bareWarm.push(await measure(bareChat, "follow-up", `[bench-bare-${++bareSent}]`));
    if (i % 2 === 0) {
      await toPincer();
      await toBare();
    } else {
      await toBare();
      await toPincer();
    }
  }
  // Right at the phase's end, so both cover the same messages and no idle time.
  const cpuAfterWarm = { pincer: treeCpuMs(hostPid), bare: treeCpuMs(bare.child.pid!) };
  const warmCalls = {
    main: modelCalls.main - callsBeforeWarm.main,
    side: modelCalls.side - callsBeforeWarm.side,
  };
  const shapes = {
    pincer: requestShape(fake.requests, PINCER_KEY),
    bare: requestShape(fake.requests, BARE_KEY),
  };
  fake.requests.length = 0;
  const warmFakeCalls: ModelCall[] = timer.calls.map((call) => ({
    start: epoch(call.start),
    end: epoch(call.end),
  }));
  await sleep(2_000);
  // Both agents are still live here, so their PSS figures split the CLI's shared pages alike.
  agentAt[`after_${sent}`] = memoryJson(treeMemory(pincerAgent));
  const bareAgentAfterWarm = bareAgents.map((pid) => memoryJson(treeMemory(pid)));
  const bareHostRss = rssMb(bare.child.pid!);
  await bareChat.close();
  await stop(bare);

  progress(`streaming phase: ${STREAM_MESSAGES} replies written in ${STREAM_PIECES} pieces`);
  const streamed: RoundTrip[] = [];
  for (let i = 1; i <= STREAM_MESSAGES; i++) {
    const marker = `[bench-stream-${i}]`;
    streamed.push(await pincerChat.roundTrip(`tell me more ${marker}`, marker));
  }
  const firstTokens = streamed.flatMap((trip) =>
    trip.firstDeltaAt === undefined ? [] : [trip.firstDeltaAt - trip.sentAt],
  );
  const streaming = {
    messages: streamed.length,
    pieces: STREAM_PIECES + 1,
    piece_interval_ms: STREAM_PIECE_MS,
    first_visible_token_ms: firstTokens.length > 0 ? summarize(firstTokens) : undefined,
    full_reply_ms: summarize(streamed.map((trip) => trip.ms)),
    replies_without_deltas: streamed.length - firstTokens.length,
  };
  progress(
    `streaming: first visible token p50 ${streaming.first_visible_token_ms?.p50} ms, full reply p50 ${streaming.full_reply_ms.p50} ms`,
  );

  progress(`stop phase: ${STOP_MESSAGES} turns held for ${HELD_REPLY_MS / 1000} s, stopped`);
  const stops: StopTrip[] = [];
  for (let i = 1; i <= STOP_MESSAGES; i++) {
    stops.push(
      await pincerChat.stopTrip(`think hard [bench-hold-${i}]`, () =>
        api(pincer, "/api/chat/stop", { method: "POST" }),
      ),
    );
  }
  const stop_turn = {
    messages: stops.length,
    held_reply_ms: HELD_REPLY_MS,
    stop_to_stopped_message_ms: summarize(stops.map((trip) => trip.stoppedMs)),
    stop_to_idle_ms: summarize(stops.map((trip) => trip.idleMs)),
  };
  progress(
    `stop: "Stopped." p50 ${stop_turn.stop_to_stopped_message_ms.p50} ms, agent idle p50 ${stop_turn.stop_to_idle_ms.p50} ms after the stop`,
  );

  progress(`bulk phase: Pincer up to ${TOTAL_MESSAGES} messages, sequential`);
  const bulk: Sample[] = [];
  while (sent < TOTAL_MESSAGES) {
    bulk.push(await measure(pincerChat, "bulk", `[bench-pincer-${++sent}]`));
    // The fake and the timer keep all they saw; only recent calls are still needed.
    if (sent % 50 === 0) {
      fake.requests.length = 0;
      timer.forgetBefore(performance.now() - 60_000);
    }
    if (sent % 100 === 0) progress(`${sent} messages sent`);
    await checkpoint();
  }
  await pincerChat.close();
  await stop(pincer);
  const discordRun = await discordPhase(fake.url, measure, cleanups, progress);

  let trace:
    | { pincer: ReturnType<typeof stageBreakdown>; bare: ReturnType<typeof stageBreakdown> }
    | undefined;
  if (traceDir) {
    const windows = (samples: Sample[]): TraceWindow[] =>
      samples.map((s) => ({ sentAt: epoch(s.trip.sentAt), repliedAt: epoch(s.trip.repliedAt) }));
    const pincerEvents = readTrace(join(traceDir, "pincer.json"));
    // Pincer's model hop is its credential proxy: the one server it runs besides the web API.
    const webPort = Number(new URL(pincer.url).port);
    const proxyPort = pincerEvents.find(
      (e) => e.kind === "server-request" && e.port !== webPort && e.path?.includes("/v1/messages"),
    )?.port;
    const traced = (events: TraceEvent[], samples: Sample[], port: number | undefined) =>
      stageBreakdown(
        windows(samples).flatMap((w) => traceMessage(events, w, warmFakeCalls, port) ?? []),
      );
    trace = {
      pincer: traced(pincerEvents, pincerWarm, proxyPort),
      bare: traced(readTrace(join(traceDir, "bare.json")), bareWarm, undefined),
    };
  }

  const pincerWarmStats = latencyBreakdown(pincerWarm);
  const bareWarmStats = latencyBreakdown(bareWarm);
  const deltaP50 = round(pincerWarmStats.latency_ms.p50 - bareWarmStats.latency_ms.p50);
  const ratioP50 = round(pincerWarmStats.latency_ms.p50 / bareWarmStats.latency_ms.p50);
  const byHundred: Summary[] = [];
  for (let i = 0; i < bulk.length; i += 100)
    byHundred.push(summarize(bulk.slice(i, i + 100).map((s) => s.trip.ms)));
  const rssOverBare = bareHostRss === undefined ? undefined : round(idleRss - bareHostRss);
  const targets = {
    warm_p50_within_1_10x_of_bare: {
      target_ratio: TARGET_WARM_RATIO,
      actual_ratio: ratioP50,
      met: ratioP50 <= TARGET_WARM_RATIO,
    },
    host_idle_rss_within_5mb_of_bare_host: {
      target_mb: TARGET_IDLE_RSS_OVER_BARE_MB,
      actual_mb: rssOverBare,
      met: rssOverBare !== undefined && rssOverBare <= TARGET_IDLE_RSS_OVER_BARE_MB,
    },
    discord_model_to_reply_within_5ms_of_web: {
      target_ms: TARGET_DISCORD_OVER_WEB_MS,
      actual_ms: discordRun.model_to_reply_p50_delta_ms,
      met: discordRun.model_to_reply_p50_delta_ms <= TARGET_DISCORD_OVER_WEB_MS,
    },
  };
  const durationS = round((performance.now() - clockStart) / 1000);

  const result = {
    started_at: startedAt.toISOString(),
    duration_s: durationS,
    machine: machine(),
    settings: {
      warm_messages: WARM_MESSAGES,
      total_pincer_messages: TOTAL_MESSAGES,
      discord_messages: DISCORD_MESSAGES,
      settle_ms: SETTLE_MS,
      trace: TRACE,
      pincer_runs: FROM_SOURCE ? "src/main.ts (type stripping)" : "scripts/serve.sh (compiled)",
      pincer_allocator: allocator,
    },
    comparison: {
      warm_p50_delta_ms: deltaP50,
      warm_p50_ratio: ratioP50,
      warm_p95_delta_ms: round(pincerWarmStats.latency_ms.p95 - bareWarmStats.latency_ms.p95),
      warm_mean_delta_ms: round(pincerWarmStats.latency_ms.mean - bareWarmStats.latency_ms.mean),
      overhead_p50_delta_ms: round(pincerWarmStats.overhead_ms.p50 - bareWarmStats.overhead_ms.p50),
    },
    targets,
    pincer: {
      startup_ms: round(startupMs),
      cold_first_message: singleMessage(pincerCold),
      warm: pincerWarmStats,
      warm_cpu_per_message: cpuPerMessage(
        hostPid,
        cpuBeforeWarm.pincer,
        cpuAfterWarm.pincer,
        WARM_MESSAGES,
      ),
      bulk: { messages: bulk.length, ...latencyBreakdown(bulk), latency_ms_by_hundred: byHundred },
      streaming,
      stop_turn,
      host_rss_mb: { idle: idleRss, ...rssAt },
      agent_memory: agentAt,
      model_requests: shapes.pincer,
    },
    bare: {
      cold_first_message: singleMessage(bareCold),
      warm: bareWarmStats,
      warm_cpu_per_message: cpuPerMessage(
        bare.child.pid!,
        cpuBeforeWarm.bare,
        cpuAfterWarm.bare,
        WARM_MESSAGES,
      ),
      host_rss_mb_after_warm: bareHostRss === undefined ? undefined : round(bareHostRss),
      agent_memory: { [`after_${bareSent}`]: bareAgentAfterWarm },
      model_requests: shapes.bare,
    },
    warm_phase_model_calls: warmCalls,
    discord: discordRun,
    trace,
  };

  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${startedAt.toISOString()}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  printSummary({
    file,
    durationS,
    pincerCold: pincerCold.trip.ms,
    bareCold: bareCold.trip.ms,
    pincerWarm: pincerWarmStats,
    bareWarm: bareWarmStats,
    deltaP50,
    ratioP50,
    warmCpu: {
      pincer: result.pincer.warm_cpu_per_message,
      bare: result.bare.warm_cpu_per_message,
    },
    hostRss: result.pincer.host_rss_mb,
    bareHostRss: result.bare.host_rss_mb_after_warm,
    discord: discordRun,
    agentPss: Object.fromEntries(
      Object.entries(result.pincer.agent_memory).map(([key, value]) => [key, value.pss_mb]),
    ),
    bareAgentPss: round(bareAgentAfterWarm.reduce((sum, m) => sum + m.pss_mb, 0)),
    targets,
    trace,
  });
}

const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;
const cleanUp = (): Promise<void> =>
  (cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })());
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanUp().then(() => process.exit(130)));
}
try {
  await main(cleanups);
} catch (error) {
  process.exitCode = 1;
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  if (error instanceof Error && error.cause) console.error("cause:", error.cause);
} finally {
  await cleanUp();
}
