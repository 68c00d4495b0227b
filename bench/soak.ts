// Soak mode (`npm run bench -- --soak 30m --groups 4 --rate 12/min`): Pincer as deployed
// (scripts/serve.sh) with a Discord bot in several guild channels, each a registered group,
// fed at a steady message rate for a set time. Half the messages go to the first group,
// which stays warm; the others share the rest, further apart than the short idle timeout
// the soak sets, so their agents idle out and come back. Every 30 s the service's RSS and
// open file descriptors are read; the result gives their slope (least squares, per hour)
// and the reply latency's p50/p95 per 5-minute window. See bench/README.md.
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseDuration } from "../src/time/duration.ts";
import { startDiscordFake } from "../test/fakes/discord/server.ts";
import {
  api,
  channelState,
  removeDir,
  startService,
  tempDir,
  waitFor,
} from "../test/e2e/harness.ts";
import { BENCH_GUILD, discordChat } from "./discord-chat.ts";
import type { MemoryReading } from "./memory-hooks.ts";
import { allocatorEnv, allocatorOf, rssMb } from "./proc-memory.ts";
import { round, summarize, type Summary } from "./stats.ts";

export interface SoakSettings {
  durationMs: number;
  groups: number;
  perMinute: number;
  idleTimeout: string;
  /** With --heap: V8's heap figures in each sample, and heap snapshots after the ramp and at the end. */
  heap: boolean;
}

const SAMPLE_MS = 30_000;
const WINDOW_MS = 5 * 60_000;
const REPLY_TIMEOUT_MS = 120_000;
const DISCORD_TOKEN = "bench-soak-discord-token";

function flag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index === -1 ? undefined : argv[index + 1];
}

/** Reads --soak <duration> [--groups N] [--rate N/min] [--idle <duration>] [--heap]; undefined without --soak. */
export function soakSettings(argv: string[]): SoakSettings | undefined {
  const duration = flag(argv, "--soak");
  if (duration === undefined) return undefined;
  const durationMs = parseDuration(duration);
  if (!durationMs) throw new Error(`--soak takes a duration such as 30m, not "${duration}"`);
  const groups = Number(flag(argv, "--groups") ?? 4);
  if (!Number.isInteger(groups) || groups < 2)
    throw new Error("--groups takes a whole number of 2 or more (one warm group, others idling)");
  const rate = flag(argv, "--rate") ?? "12/min";
  const perMinute = Number(/^(\d+(?:\.\d+)?)\/min$/.exec(rate)?.[1]);
  if (!perMinute) throw new Error(`--rate takes messages per minute such as 12/min, not "${rate}"`);
  const idleTimeout = flag(argv, "--idle") ?? "20s";
  if (!parseDuration(idleTimeout)) throw new Error(`--idle takes a duration, not "${idleTimeout}"`);
  return { durationMs, groups, perMinute, idleTimeout, heap: argv.includes("--heap") };
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n;
  const my = points.reduce((sum, p) => sum + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Which group the k-th message goes to: every other one to group 0, the rest in turn. */
function groupOf(k: number, groups: number): number {
  return k % 2 === 0 ? 0 : 1 + (((k - 1) / 2) % (groups - 1));
}

interface Sample {
  at_s: number;
  rss_mb: number;
  open_fds: number;
  live_agents: number;
  heap_used_mb?: number;
  heap_total_mb?: number;
  external_mb?: number;
  array_buffers_mb?: number;
}

interface Trip {
  sentAtS: number;
  group: number;
  ms: number | undefined;
}

const MEMORY_HOOKS = new URL("./memory-hooks.ts", import.meta.url).href;

export async function runSoak(
  settings: SoakSettings,
  modelUrl: string,
  serveCommand: string[],
  cleanups: (() => Promise<unknown> | void)[],
  progress: (text: string) => void,
  heapDir: string,
) {
  const discord = await startDiscordFake({ token: DISCORD_TOKEN });
  cleanups.push(() => discord.close());
  const channelIds = Array.from({ length: settings.groups }, (_, i) => `39000000000000000${i}`);
  discord.addGuild({
    id: BENCH_GUILD,
    name: "Soak",
    channels: channelIds.map((id, i) => ({ id, name: `soak-${i}` })),
  });
  const dataDir = tempDir("pincer-soak-");
  cleanups.push(() => removeDir(dataDir));
  const memoryFile = join(dataDir, "bench-memory.json");
  if (settings.heap) mkdirSync(heapDir, { recursive: true });
  const heapEnv: Record<string, string> = settings.heap
    ? {
        NODE_OPTIONS: `--import=${MEMORY_HOOKS} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${heapDir}`,
        BENCH_MEMORY_FILE: memoryFile,
      }
    : {};
  const service = await startService({
    dataDir,
    command: serveCommand,
    env: {
      ANTHROPIC_API_KEY: "sk-ant-bench-soak-0000",
      ANTHROPIC_BASE_URL: modelUrl,
      DISCORD_BOT_TOKEN: DISCORD_TOKEN,
      DISCORD_API_URL: discord.apiUrl,
      AGENT_IDLE_TIMEOUT: settings.idleTimeout,
      ...heapEnv,
      ...allocatorEnv(),
    },
  });
  cleanups.push(async () => {
    const exited = service.stop();
    if ((await Promise.race([exited, sleep(15_000, "timeout", { ref: false })])) === "timeout")
      await service.kill();
  });
  const pid = service.child.pid!;
  const allocator = allocatorOf(pid);
  await waitFor(
    async () => (await channelState(service, "discord"))?.status === "connected" || undefined,
    "Discord to connect",
    60_000,
  );
  for (const id of channelIds) {
    await waitFor(
      async () => {
        const response = await api(service, "/api/groups");
        const { discovered } = (await response.json()) as { discovered: { chatId: string }[] };
        return discovered.some((chat) => chat.chatId === id) || undefined;
      },
      `channel ${id} to be discovered`,
      60_000,
    );
    const response = await api(service, "/api/groups", {
      method: "POST",
      body: JSON.stringify({ chat: `discord:${id}`, requiresTrigger: false }),
    });
    if (response.status !== 201) throw new Error(`registering ${id}: ${await response.text()}`);
  }
  const chats = channelIds.map((id) => discordChat(discord, id, BENCH_GUILD));

  const start = performance.now();
  const elapsedS = () => (performance.now() - start) / 1000;
  const samples: Sample[] = [];
  const sample = async () => {
    const { agents } = (await (await api(service, "/api/status")).json()) as {
      agents: unknown[];
    };
    const mb = (bytes: number) => round(bytes / 1024 / 1024);
    const heap = settings.heap
      ? (JSON.parse(readFileSync(memoryFile, "utf8")) as MemoryReading)
      : undefined;
    samples.push({
      at_s: round(elapsedS()),
      rss_mb: round(rssMb(pid) ?? Number.NaN),
      open_fds: readdirSync(`/proc/${pid}/fd`).length,
      live_agents: agents.length,
      ...(heap
        ? {
            heap_used_mb: mb(heap.heapUsed),
            heap_total_mb: mb(heap.heapTotal),
            external_mb: mb(heap.external),
            array_buffers_mb: mb(heap.arrayBuffers),
          }
        : {}),
    });
  };
  // Node writes a snapshot (after a full collection) into heapDir on each SIGUSR2.
  const snapshot = async (label: string) => {
    const before = new Set(readdirSync(heapDir));
    process.kill(pid, "SIGUSR2");
    const file = await waitFor(
      () =>
        readdirSync(heapDir).find((name) => !before.has(name) && name.endsWith(".heapsnapshot")),
      "the heap snapshot",
      120_000,
    );
    // The snapshot is written on the main thread: an answer means the file is complete. A
    // kept-alive connection may have been closed meanwhile, so a failed ask is asked again.
    await waitFor(
      async () => (await api(service, "/api/status").catch(() => undefined))?.ok || undefined,
      "the service to answer after the snapshot",
      120_000,
    );
    progress(`soak: heap snapshot (${label}) in ${join(heapDir, file)}`);
  };
  let rampSnapshot: Promise<void> | undefined;
  await sample();
  const sampler = setInterval(() => void sample().catch(() => undefined), SAMPLE_MS);
  cleanups.push(() => clearInterval(sampler));

  const trips: Trip[] = [];
  const busy = new Set<number>();
  const intervalMs = 60_000 / settings.perMinute;
  const inFlight: Promise<void>[] = [];
  let skipped = 0;
  progress(
    `soak: ${settings.groups} groups, ${settings.perMinute}/min, idle timeout ${settings.idleTimeout}, for ${settings.durationMs / 60_000} min`,
  );
  for (let k = 0; performance.now() - start < settings.durationMs; k++) {
    // Steady rate: each message at its slot, whatever the replies before it took.
    const due = start + k * intervalMs;
    if (due > performance.now()) await sleep(due - performance.now());
    if (performance.now() - start >= settings.durationMs) break;
    if (settings.heap && !rampSnapshot && performance.now() - start >= WINDOW_MS)
      rampSnapshot = snapshot("after the first window");
    const group = groupOf(k, settings.groups);
    // One message at a time per group, so each reply answers exactly one message.
    if (busy.has(group)) {
      skipped++;
      continue;
    }
    busy.add(group);
    const marker = `[bench-soak-${k}]`;
    const sentAtS = elapsedS();
    inFlight.push(
      chats[group]!.roundTrip(`soak ${marker}`, marker, REPLY_TIMEOUT_MS)
        .then((trip) => void trips.push({ sentAtS, group, ms: trip.ms }))
        .catch(() => void trips.push({ sentAtS, group, ms: undefined }))
        .finally(() => busy.delete(group)),
    );
    if (k > 0 && k % Math.round(settings.perMinute * 5) === 0)
      progress(`soak: ${k} messages, RSS ${samples.at(-1)?.rss_mb} MB`);
  }
  await Promise.all(inFlight);
  clearInterval(sampler);
  await sample();
  if (settings.heap) {
    await rampSnapshot;
    await snapshot("at the end");
  }
  const timeouts = trips.filter((t) => t.ms === undefined).length;
  if (timeouts > 0)
    progress(`soak: ${timeouts} unanswered; service log:\n${service.output().slice(-3000)}`);

  const windows: ({ from_min: number; to_min: number; replies: number; timeouts: number } & {
    latency_ms?: Summary;
  })[] = [];
  for (let from = 0; from * 1000 < settings.durationMs; from += WINDOW_MS / 1000) {
    const inside = trips.filter((t) => t.sentAtS >= from && t.sentAtS < from + WINDOW_MS / 1000);
    const answered = inside.flatMap((t) => (t.ms === undefined ? [] : [t.ms]));
    windows.push({
      from_min: from / 60,
      to_min: (from + WINDOW_MS / 1000) / 60,
      replies: answered.length,
      timeouts: inside.length - answered.length,
      ...(answered.length > 0 ? { latency_ms: summarize(answered) } : {}),
    });
  }
  // The first window holds the ramp (platform library, first agents, caches filling):
  // the slope after it is the one that says whether something leaks.
  const perHour = (key: "rss_mb" | "open_fds" | "heap_used_mb" | "external_mb", fromS = 0) =>
    round(
      slope(
        samples
          .filter((s) => s.at_s >= fromS && s[key] !== undefined)
          .map((s) => ({ x: s.at_s / 3600, y: s[key]! })),
      ),
    );
  const afterRamp = WINDOW_MS / 1000;
  const byGroup = (first: boolean) =>
    trips.flatMap((t) => ((t.group === 0) === first && t.ms !== undefined ? [t.ms] : []));
  return {
    settings: {
      duration_min: settings.durationMs / 60_000,
      groups: settings.groups,
      rate_per_min: settings.perMinute,
      idle_timeout: settings.idleTimeout,
      sample_every_s: SAMPLE_MS / 1000,
      heap: settings.heap,
      allocator,
    },
    ...(settings.heap ? { heap_dir: heapDir } : {}),
    messages: trips.length,
    skipped_busy: skipped,
    timeouts,
    rss_mb_per_hour: perHour("rss_mb"),
    open_fds_per_hour: perHour("open_fds"),
    after_first_window: {
      rss_mb_per_hour: perHour("rss_mb", afterRamp),
      open_fds_per_hour: perHour("open_fds", afterRamp),
      ...(settings.heap
        ? {
            heap_used_mb_per_hour: perHour("heap_used_mb", afterRamp),
            external_mb_per_hour: perHour("external_mb", afterRamp),
          }
        : {}),
    },
    rss_mb: { first: samples[0]?.rss_mb, last: samples.at(-1)?.rss_mb },
    open_fds: { first: samples[0]?.open_fds, last: samples.at(-1)?.open_fds },
    latency_ms: {
      warm_group: byGroup(true).length ? summarize(byGroup(true)) : undefined,
      idling_groups: byGroup(false).length ? summarize(byGroup(false)) : undefined,
    },
    windows,
    samples,
  };
}

export type SoakResult = Awaited<ReturnType<typeof runSoak>>;
