// Starts the real service as a child process on a temp DATA_DIR and talks to it over
// HTTP the way any client would.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { waitFor } from "../helpers/wait.ts";

// The e2e files wait through the harness; the one waiting helper lives in test/helpers.
export { waitFor };

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ServiceOptions {
  dataDir?: string;
  env?: Record<string, string>;
  /** A command the service runs under, e.g. ["prlimit", "--nofile=1024:1024", "--"]. */
  prefix?: string[];
  /** What starts the service instead of Node on src/main.ts (the bench: scripts/serve.sh). */
  command?: string[];
  /**
   * The service's working directory, where it reads `.env`: by default DATA_DIR, so that a
   * developer's own `.env` in the repository (their real key) never reaches a test.
   */
  cwd?: string;
}

export interface Service {
  url: string;
  token: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up. */
  kill(): Promise<void>;
}

export function tempDir(prefix = "pincer-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The messages the service has committed for a chat, read from its store. Inbound: what a
 * test waits on before it lets a held model call go (an adapter acknowledges after this).
 * Outbound: what the assistant sent, recorded once each send returned.
 */
export function storedMessages(
  service: Service,
  chatId: string,
  direction: "in" | "out",
): string[] {
  const db = new DatabaseSync(join(service.dataDir, "store/pincer.db"), { readOnly: true });
  try {
    const rows = db
      .prepare("SELECT text FROM messages WHERE direction = ? AND chat_id = ? ORDER BY id")
      .all(direction, chatId) as { text: string }[];
    return rows.map((row) => row.text);
  } finally {
    db.close();
  }
}

const TOKEN = "test-admin-token-0123456789";
// A bound for a broken start, not a measurement: a loaded machine (the suite runs four test
// files at once, several starting services) can take half a minute to load the service.
const START_TIMEOUT_MS = 120_000;

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const dataDir = options.dataDir ?? tempDir();
  const argv = [
    ...(options.prefix ?? []),
    ...(options.command ?? [process.execPath, join(ROOT, "src/main.ts")]),
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd ?? dataDir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dataDir,
      DATA_DIR: dataDir,
      PORT: "0",
      HOST: "127.0.0.1",
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: "info",
      MODEL_MAX_RETRIES: "1",
      // Services that tests run side by side (as root) must not share agent uids: each
      // reaps its uids' processes when a session ends, and would kill the other's agents.
      AGENT_UID_BASE: String(100_000 + Math.floor(Math.random() * 100_000) * 100),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  // A service that does not come up is killed, so that no test leaves one running (and its
  // test file waiting for it), and its output goes into the error.
  const started = <T>(waiting: Promise<T>): Promise<T> =>
    waiting.catch((error: unknown) => {
      child.kill("SIGKILL");
      throw new Error(`${String(error)}; the service's output:\n${output.slice(-6000)}`);
    });
  const port = await started(
    waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`service exited with ${child.exitCode}:\n${output}`);
        return /"port":(\d+)/.exec(output)?.[1];
      },
      "the service to listen",
      START_TIMEOUT_MS,
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  await started(
    waitFor(
      async () => (await fetch(`${url}/readyz`)).ok || undefined,
      "readiness",
      START_TIMEOUT_MS,
    ),
  );
  return {
    url,
    token: TOKEN,
    dataDir,
    child,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export async function api(
  service: Service,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${service.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${service.token}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });
}

export interface ChannelStateView {
  status: string;
  detail: string | null;
  since: number;
  qr: boolean;
}

/** A channel's state with its detail, as the owner sees it (/readyz only says the status word). */
export async function channelState(
  service: Service,
  name: string,
): Promise<ChannelStateView | undefined> {
  const status = (await (await api(service, "/api/status")).json()) as {
    channels: Record<string, ChannelStateView>;
  };
  return status.channels[name];
}

export async function sendChat(service: Service, text: string): Promise<number> {
  const response = await api(service, "/api/chat/messages", {
    method: "POST",
    body: JSON.stringify({ text }),
  });
  if (response.status !== 202)
    throw new Error(`POST failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** Collects the SSE events of /api/chat/events until closed. */
export function listen(service: Service, lastEventId?: number) {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const ready = (async () => {
    const response = await fetch(`${service.url}/api/chat/events`, {
      headers: {
        authorization: `Bearer ${service.token}`,
        ...(lastEventId !== undefined ? { "last-event-id": String(lastEventId) } : {}),
      },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw new Error(`SSE failed: ${response.status}`);
    return response.body;
  })();
  const done = ready
    .then(async (body) => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: "message", id: undefined, data: "" };
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event.event = line.slice(6).trim();
            else if (line.startsWith("id:")) event.id = line.slice(3).trim();
            else if (line.startsWith("data:")) event.data += line.slice(5).trimStart();
          }
          if (event.data) events.push(event);
        }
      }
    })
    .catch(() => undefined);
  return {
    events,
    ready,
    messages: () =>
      events
        .filter((e) => e.event === "message")
        .map((e) => JSON.parse(e.data) as { id: number; text: string; createdAt: number }),
    close() {
      controller.abort();
      return done;
    },
  };
}
