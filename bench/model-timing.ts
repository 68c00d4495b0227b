// Times every request the fake model serves, from the moment its HTTP server has the
// request to the moment the response is finished, without touching the fake: Node's
// http server reports both moments on diagnostics channels. The fake runs in the bench
// process, so these times share one clock with the client's send and receive times.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

export interface ModelCall {
  start: number;
  end: number;
}

/** What the fake model did inside one [from, to] window of the bench clock. */
export interface ModelShare {
  /** Time inside the fake, overlapping calls counted once. */
  modelMs: number;
  calls: number;
  /** From the window's start to the first call the fake received. */
  beforeFirstCallMs: number | undefined;
  /** From the end of the last finished call to the window's end. */
  afterLastCallMs: number | undefined;
}

interface ServerEvent {
  request: IncomingMessage;
  response: ServerResponse;
  server: Server;
}

export class ModelCallTimer {
  readonly calls: ModelCall[] = [];
  private readonly port: number;
  private readonly started = new WeakMap<ServerResponse, number>();
  private readonly onStart = (message: unknown): void => {
    const event = message as ServerEvent;
    if (this.isFake(event)) this.started.set(event.response, performance.now());
  };
  private readonly onFinish = (message: unknown): void => {
    const event = message as ServerEvent;
    const start = this.started.get(event.response);
    if (start !== undefined && this.isFake(event))
      this.calls.push({ start, end: performance.now() });
  };

  constructor(fakeUrl: string) {
    this.port = Number(new URL(fakeUrl).port);
    subscribe("http.server.request.start", this.onStart);
    subscribe("http.server.response.finish", this.onFinish);
  }

  stop(): void {
    unsubscribe("http.server.request.start", this.onStart);
    unsubscribe("http.server.response.finish", this.onFinish);
  }

  /** Forgets calls that ended before `time`, so long runs stay cheap to query. */
  forgetBefore(time: number): void {
    const keep = this.calls.filter((call) => call.end >= time);
    this.calls.length = 0;
    this.calls.push(...keep);
  }

  shareOf(from: number, to: number): ModelShare {
    const inside = this.calls
      .filter((call) => call.end > from && call.start < to)
      .map((call) => ({ start: Math.max(call.start, from), end: Math.min(call.end, to) }))
      .sort((a, b) => a.start - b.start);
    let modelMs = 0;
    let reach = from;
    for (const call of inside) {
      if (call.end <= reach) continue;
      modelMs += call.end - Math.max(call.start, reach);
      reach = call.end;
    }
    const first = inside[0];
    const last = inside.reduce<ModelCall | undefined>(
      (latest, call) => (!latest || call.end > latest.end ? call : latest),
      undefined,
    );
    return {
      modelMs,
      calls: inside.length,
      beforeFirstCallMs: first ? first.start - from : undefined,
      afterLastCallMs: last ? to - last.end : undefined,
    };
  }

  private isFake(event: ServerEvent): boolean {
    return (event.server.address() as AddressInfo | null)?.port === this.port;
  }
}
