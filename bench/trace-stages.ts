// Takes one warm message apart into the stages it went through, from the events that
// trace-hooks.ts recorded inside the service (or bare loop), the fake model's timings and
// the client's send and receive times. All times are epoch milliseconds: the processes
// share the machine's clock.
import type { ModelCall } from "./model-timing.ts";
import type { TraceEvent } from "./trace-hooks.ts";

export interface Stages {
  /** POST sent → the host's server has it. */
  client_to_host: number;
  /** → the user message is written to the agent's stdin. */
  host_to_agent: number;
  /** → the agent's model request reaches its first hop (Pincer's proxy, or the fake). */
  agent_to_model_hop: number;
  /** Time in the first hop beyond the fake's own (Pincer's credential proxy; 0 when bare). */
  proxy: number;
  /** Time inside the fake model. */
  model: number;
  /** The first hop finished its response → the agent writes the assistant message. */
  model_hop_to_agent_out: number;
  /** → the reply's SSE event is parsed by the client. */
  agent_out_to_client: number;
}

export interface MessageTrace {
  stages: Stages;
  /** Lines exchanged with the agent during the message, by stream-json type. */
  agentLines: Record<string, number>;
}

export interface TraceWindow {
  sentAt: number;
  repliedAt: number;
}

// Two processes' clocks may differ by a fraction of a millisecond; the POST is looked for
// from slightly before the client's send time.
const CLOCK_SLACK_MS = 2;

function first(
  events: TraceEvent[],
  from: number,
  match: (event: TraceEvent) => boolean,
): TraceEvent | undefined {
  return events.find((event) => event.t >= from && match(event));
}

/**
 * `proxyPort` is the port of the service's own model hop (its credential proxy); without
 * one the agent talks to the fake directly.
 */
export function traceMessage(
  events: TraceEvent[],
  window: TraceWindow,
  fakeCalls: ModelCall[],
  proxyPort: number | undefined,
): MessageTrace | undefined {
  const post = first(
    events,
    window.sentAt - CLOCK_SLACK_MS,
    (e) => e.kind === "server-request" && e.path?.startsWith("POST /api/chat/messages") === true,
  );
  if (!post) return undefined;
  const input = first(events, post.t, (e) => e.kind === "agent-in" && e.type === "user");
  if (!input) return undefined;
  const fake = fakeCalls.find((call) => call.start >= input.t - CLOCK_SLACK_MS);
  if (!fake || fake.end > window.repliedAt) return undefined;
  let hopIn = fake.start;
  let hopOut = fake.end;
  if (proxyPort !== undefined) {
    const isModelCall = (e: TraceEvent) =>
      e.port === proxyPort && e.path?.startsWith("POST /v1/messages") === true;
    const proxyIn = first(events, input.t, (e) => e.kind === "server-request" && isModelCall(e));
    const proxyOut =
      proxyIn && first(events, proxyIn.t, (e) => e.kind === "server-finish" && isModelCall(e));
    if (!proxyIn || !proxyOut) return undefined;
    hopIn = proxyIn.t;
    hopOut = proxyOut.t;
  }
  const output = first(events, hopOut, (e) => e.kind === "agent-out" && e.type === "assistant");
  if (!output || output.t > window.repliedAt + CLOCK_SLACK_MS) return undefined;
  const agentLines: Record<string, number> = {};
  for (const event of events) {
    if (event.t < window.sentAt || event.t > window.repliedAt) continue;
    if (event.kind !== "agent-in" && event.kind !== "agent-out") continue;
    const key = `${event.kind === "agent-in" ? "in" : "out"} ${event.type}`;
    agentLines[key] = (agentLines[key] ?? 0) + 1;
  }
  const model = fake.end - fake.start;
  return {
    stages: {
      client_to_host: post.t - window.sentAt,
      host_to_agent: input.t - post.t,
      agent_to_model_hop: hopIn - input.t,
      proxy: hopOut - hopIn - model,
      model,
      model_hop_to_agent_out: output.t - hopOut,
      agent_out_to_client: window.repliedAt - output.t,
    },
    agentLines,
  };
}
