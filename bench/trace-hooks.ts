// Preloaded (node --import) into Pincer and into the bare loop when the benchmark runs with
// --trace: timestamps, on the machine-wide clock, each HTTP request the process serves or
// makes and each line it exchanges with its agent process, then writes them to
// BENCH_TRACE_FILE at exit. It changes nothing in the code it watches, so the two systems
// can be taken apart stage by stage: see trace-stages.ts.
import childProcess, { type ChildProcess } from "node:child_process";
import { subscribe } from "node:diagnostics_channel";
import { writeFileSync } from "node:fs";
import type { ClientRequest, IncomingMessage, Server } from "node:http";
import { syncBuiltinESMExports } from "node:module";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { StringDecoder } from "node:string_decoder";

export interface TraceEvent {
  /** Milliseconds since the epoch, microsecond resolution. */
  t: number;
  kind:
    | "server-request"
    | "server-finish"
    | "upstream-request"
    | "upstream-finish"
    | "agent-in"
    | "agent-out";
  /** The server's port, for server events. */
  port?: number;
  path?: string;
  /** The stream-json message type (with its subtype) for agent lines. */
  type?: string;
}

const file = process.env.BENCH_TRACE_FILE;
const events: TraceEvent[] = [];
const now = (): number => performance.timeOrigin + performance.now();

function serverEvent(kind: TraceEvent["kind"]) {
  return (message: unknown): void => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    const port = (server.address() as AddressInfo | null)?.port;
    events.push({ t: now(), kind, port, path: `${request.method} ${request.url}` });
  };
}

function upstreamEvent(kind: TraceEvent["kind"]) {
  return (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    events.push({ t: now(), kind, path: `${request.method} ${request.path}` });
  };
}

function lineType(line: string): string {
  try {
    const { type, subtype } = JSON.parse(line) as { type?: string; subtype?: string };
    return [type ?? "?", subtype].filter(Boolean).join(":");
  } catch {
    return "not-json";
  }
}

function watchAgent(child: ChildProcess): void {
  const stdin = child.stdin;
  if (stdin) {
    const write = stdin.write.bind(stdin) as (...args: unknown[]) => boolean;
    stdin.write = ((chunk: unknown, ...rest: unknown[]) => {
      const t = now();
      for (const line of String(chunk).split("\n")) {
        if (line) events.push({ t, kind: "agent-in", type: lineType(line) });
      }
      return write(chunk, ...rest);
    }) as typeof stdin.write;
  }
  // The SDK reads stdout through readline, which already keeps the stream flowing; one
  // more 'data' listener sees the same chunks without taking any away.
  const decoder = new StringDecoder("utf8");
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const t = now();
    const lines = (partial + decoder.write(chunk)).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line) events.push({ t, kind: "agent-out", type: lineType(line) });
    }
  });
}

if (file) {
  subscribe("http.server.request.start", serverEvent("server-request"));
  subscribe("http.server.response.finish", serverEvent("server-finish"));
  subscribe("http.client.request.start", upstreamEvent("upstream-request"));
  subscribe("http.client.response.finish", upstreamEvent("upstream-finish"));
  const spawn = childProcess.spawn;
  childProcess.spawn = ((...args: Parameters<typeof spawn>) => {
    const child = spawn(...args);
    watchAgent(child);
    return child;
  }) as typeof spawn;
  syncBuiltinESMExports();
  process.on("exit", () => writeFileSync(file, JSON.stringify(events)));
}
