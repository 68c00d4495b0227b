// A stand-in for the service's JSON API on 127.0.0.1, with canned answers and a chat whose
// event stream the test drives, plus the CLI run in-process with captured output.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { runCli } from "../../src/cli/run.ts";

export const TOKEN = "cli-test-token-0123456789";

export interface FakeApi {
  url: string;
  requests: { method: string; path: string; body: string }[];
  /** Routes by "METHOD /path"; a route answers with JSON or writes the response itself. */
  routes: Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>;
  /** Writes an SSE event to every open /api/chat/events stream. */
  emit(event: string, data: unknown, id?: number): void;
  /** Resolves once that many event streams have been opened. */
  streamsOpened(count: number): Promise<void>;
  close(): Promise<void>;
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

export async function startFakeApi(): Promise<FakeApi> {
  const requests: FakeApi["requests"] = [];
  const routes: FakeApi["routes"] = new Map();
  const streams = new Set<ServerResponse>();
  let opened = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const path = req.url ?? "/";
    requests.push({ method: req.method ?? "GET", path, body });
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return json(res, 401, { error: "wrong admin token" });
    if (req.method === "GET" && path === "/api/chat/events") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": hello\n\n");
      streams.add(res);
      res.on("close", () => streams.delete(res));
      opened++;
      for (const waiter of waiters.filter((w) => w.count <= opened)) waiter.resolve();
      return;
    }
    const route = routes.get(`${req.method} ${path.split("?")[0]}`);
    if (!route) return json(res, 404, { error: `no such endpoint: ${req.method} ${path}` });
    route(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    routes,
    emit(event, data, id) {
      const idLine = id === undefined ? "" : `id: ${id}\n`;
      for (const stream of streams)
        stream.write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
    },
    streamsOpened(count) {
      if (opened >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Runs the CLI in this process; stdin is piped (not a terminal). */
export async function cli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string | Readable; cwd?: string } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  let err = "";
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const stdin =
    options.stdin instanceof Readable ? options.stdin : Readable.from([options.stdin ?? ""]);
  const code = await runCli(args, {
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    stdin,
    stdout,
    stderr,
  });
  const bytes = Buffer.concat(out);
  return { code, stdout: bytes.toString("utf8"), stdoutBytes: bytes, stderr: err };
}
