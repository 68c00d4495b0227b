// Turns the benchmark's raw samples into the JSON result's sections and prints the
// human-readable summary.
import type { RoundTrip } from "./chat-client.ts";
import type { TreeMemory } from "./proc-memory.ts";
import { round, summarize, type Summary } from "./stats.ts";
import type { MessageTrace, Stages } from "./trace-stages.ts";

export interface Sample {
  trip: RoundTrip;
  /** Time inside the fake model during the round trip. */
  modelMs: number;
  calls: number;
  beforeModelMs: number | undefined;
  afterModelMs: number | undefined;
}

const defined = (values: (number | undefined)[]): number[] =>
  values.filter((value): value is number => value !== undefined);

export function latencyBreakdown(samples: Sample[]) {
  return {
    latency_ms: summarize(samples.map((s) => s.trip.ms)),
    /** Latency minus time inside the fake model: what the system itself adds. */
    overhead_ms: summarize(samples.map((s) => s.trip.ms - s.modelMs)),
    in_model_ms: summarize(samples.map((s) => s.modelMs)),
    post_accepted_ms: summarize(samples.map((s) => s.trip.acceptedAt - s.trip.sentAt)),
    send_to_model_ms: summarize(defined(samples.map((s) => s.beforeModelMs))),
    model_to_reply_ms: summarize(defined(samples.map((s) => s.afterModelMs))),
    model_calls_per_message: summarize(samples.map((s) => s.calls)),
  };
}

export type LatencyBreakdown = ReturnType<typeof latencyBreakdown>;

export function singleMessage(sample: Sample) {
  return {
    latency_ms: round(sample.trip.ms),
    in_model_ms: round(sample.modelMs),
    overhead_ms: round(sample.trip.ms - sample.modelMs),
    model_calls: sample.calls,
  };
}

export function memoryJson(memory: TreeMemory) {
  return {
    pss_mb: round(memory.pssMb),
    private_mb: round(memory.privateMb),
    rss_sum_mb: round(memory.rssMb),
    processes: memory.processes.map((p) => ({
      pid: p.pid,
      command: p.command,
      pss_mb: round(p.pssMb),
      private_mb: round(p.privateMb),
      rss_mb: round(p.rssMb),
    })),
  };
}

export function stageBreakdown(traces: MessageTrace[]) {
  const stages = Object.fromEntries(
    (Object.keys(traces[0]?.stages ?? {}) as (keyof Stages)[]).map((stage) => [
      stage,
      summarize(traces.map((trace) => trace.stages[stage])),
    ]),
  ) as Record<keyof Stages, Summary>;
  const lines: Record<string, number> = {};
  for (const trace of traces) {
    for (const [type, count] of Object.entries(trace.agentLines))
      lines[type] = (lines[type] ?? 0) + count;
  }
  const perMessage = Object.fromEntries(
    Object.entries(lines)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, count]) => [type, round(count / traces.length)]),
  );
  return { traced_messages: traces.length, stages_ms: stages, agent_lines_per_message: perMessage };
}

export type StageBreakdown = ReturnType<typeof stageBreakdown>;

export interface SummaryInput {
  file: string;
  durationS: number;
  pincerCold: number;
  bareCold: number;
  pincerWarm: LatencyBreakdown;
  bareWarm: LatencyBreakdown;
  deltaP50: number;
  ratioP50: number;
  /** CPU per warm message: the host process and its agent's tree, each system. */
  warmCpu: Record<"pincer" | "bare", { host_ms: number; agent_ms: number }>;
  hostRss: Record<string, number>;
  bareHostRss: number | undefined;
  discord: {
    web: LatencyBreakdown;
    discord: LatencyBreakdown;
    model_to_reply_p50_delta_ms: number;
  };
  agentPss: Record<string, number>;
  bareAgentPss: number;
  targets: Record<string, { met: boolean }>;
  trace: { pincer: StageBreakdown; bare: StageBreakdown } | undefined;
}

export function printSummary(input: SummaryInput): void {
  const stats = (s: Summary) => `p50 ${s.p50}  p95 ${s.p95}  mean ${s.mean}  (n=${s.n})`;
  const pairs = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ");
  const lines = [
    "",
    "Pincer benchmark (all times in ms, memory in MB)",
    `  cold first message   Pincer ${round(input.pincerCold)}, bare ${round(input.bareCold)}`,
    `  warm latency         Pincer ${stats(input.pincerWarm.latency_ms)}`,
    `                       bare   ${stats(input.bareWarm.latency_ms)}`,
    `  warm p50 delta       ${input.deltaP50} (Pincer/bare ${input.ratioP50})`,
    `  outside the model    Pincer ${stats(input.pincerWarm.overhead_ms)}`,
    `                       bare   ${stats(input.bareWarm.overhead_ms)}`,
    `  send → model p50     Pincer ${input.pincerWarm.send_to_model_ms.p50}, bare ${input.bareWarm.send_to_model_ms.p50}`,
    `  model → reply p50    Pincer ${input.pincerWarm.model_to_reply_ms.p50}, bare ${input.bareWarm.model_to_reply_ms.p50}`,
    `  CPU per warm message host Pincer ${input.warmCpu.pincer.host_ms}, bare ${input.warmCpu.bare.host_ms}; agent Pincer ${input.warmCpu.pincer.agent_ms}, bare ${input.warmCpu.bare.agent_ms}`,
    `  host RSS             ${pairs(input.hostRss)}; bare loop's host ${input.bareHostRss ?? "-"}`,
    `  Discord vs web chat  model → reply p50 ${input.discord.discord.model_to_reply_ms.p50} vs ${input.discord.web.model_to_reply_ms.p50} (delta ${input.discord.model_to_reply_p50_delta_ms}); latency p50 ${input.discord.discord.latency_ms.p50} vs ${input.discord.web.latency_ms.p50}`,
    `  agent PSS            Pincer ${pairs(input.agentPss)}; bare after warm phase ${input.bareAgentPss}`,
    `  targets              ${Object.entries(input.targets)
      .map(([key, value]) => `${key}: ${value.met ? "met" : "MISSED"}`)
      .join(", ")}`,
  ];
  if (input.trace) {
    lines.push("  stages (p50 / mean)  Pincer            bare");
    const { pincer, bare } = input.trace;
    for (const stage of Object.keys(pincer.stages_ms) as (keyof Stages)[]) {
      const cell = (s: Summary | undefined) => (s ? `${s.p50} / ${s.mean}` : "-").padEnd(18);
      lines.push(
        `    ${stage.padEnd(24)}${cell(pincer.stages_ms[stage])}${cell(bare.stages_ms[stage])}`,
      );
    }
  }
  lines.push(`  took ${input.durationS} s; JSON in ${input.file}`);
  console.log(lines.join("\n"));
}
