// One pino logger for the service. Secrets are redacted by key name wherever they
// appear in a logged object, and by value for the configured credentials. The last lines
// (after redaction) are kept in memory for the admin page.
import { pino, type Logger } from "pino";

export type { Logger };

const REDACT_KEYS = [
  "apiKey",
  "token",
  "authorization",
  "Authorization",
  "password",
  "secret",
  "*.apiKey",
  "*.token",
  "*.authorization",
  "*.password",
  "*.secret",
  "headers.authorization",
  "headers['x-api-key']",
];

const secrets = new Set<string>();

/** Registers a credential so that it is masked if it ever appears inside a log line. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

/** Stops masking a credential that is no longer valid (a session's token when it ends). */
export function unregisterSecret(value: string): void {
  secrets.delete(value);
}

/** How many values are masked (the set must not grow with every session). */
export function secretCount(): number {
  return secrets.size;
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
export type LogLevelName = keyof typeof LOG_LEVELS;

export interface LogLine {
  time: number;
  level: LogLevelName;
  msg: string;
  /** The line's other fields (component, channel, err, …). */
  fields: Record<string, unknown>;
}

const MAX_LINE_CHARS = 8_192;

/** The newest log lines (already redacted), oldest first. */
export class RecentLines {
  private readonly capacity: number;
  private readonly lines: LogLine[] = [];
  private next = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  push(line: string): void {
    const parsed = parseLine(line);
    if (!parsed) return;
    if (this.lines.length < this.capacity) this.lines.push(parsed);
    else this.lines[this.next] = parsed;
    this.next = (this.next + 1) % this.capacity;
  }

  /**
   * Lines at or above `minLevel`, the newest `limit` of them, oldest first. Masked again on
   * the way out: a secret registered after its line was written (a generated admin token is
   * printed once before it is registered) is not shown either.
   */
  read(minLevel: LogLevelName = "trace", limit = this.capacity): LogLine[] {
    const ordered =
      this.lines.length < this.capacity
        ? this.lines
        : [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
    const floor = LOG_LEVELS[minLevel];
    const out: LogLine[] = [];
    for (let i = ordered.length - 1; i >= 0 && out.length < limit; i--) {
      const line = ordered[i]!;
      if (LOG_LEVELS[line.level] < floor) continue;
      out.push({
        ...line,
        msg: redactSecrets(line.msg),
        fields: JSON.parse(redactSecrets(JSON.stringify(line.fields))) as LogLine["fields"],
      });
    }
    return out.reverse();
  }
}

function levelName(value: unknown): LogLevelName | undefined {
  return (Object.keys(LOG_LEVELS) as LogLevelName[]).find((name) => LOG_LEVELS[name] === value);
}

function parseLine(line: string): LogLine | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, ...fields } = record;
  const name = levelName(level);
  if (!name) return undefined;
  const text = typeof msg === "string" ? msg : "";
  const big = line.length > MAX_LINE_CHARS;
  return {
    time: typeof time === "number" ? time : 0,
    level: name,
    msg: big ? text.slice(0, MAX_LINE_CHARS) : text,
    // A huge line (a dumped response body) would pin memory for the next thousand lines.
    fields: big ? { truncated: `${JSON.stringify(fields).slice(0, MAX_LINE_CHARS)}…` } : fields,
  };
}

/** What the service logged lately, for GET /api/logs. */
export const recentLogLines = new RecentLines(1000);

/** How long a log line may wait on a full pipe before lines are dropped instead. */
const STUCK_OUTPUT_MS = 2_000;

/**
 * Standard output for the log, written synchronously. pino's default (asynchronous) flushes
 * at exit in a loop that retries a failed write forever: a service whose reader had gone
 * (a supervisor that died) never finished exiting after SIGTERM. Here a write that fails
 * ends logging (a broken pipe) and a pipe that stays full costs dropped lines, not a stuck
 * process.
 */
export function stdoutDestination(): pino.DestinationStream {
  let stuckSince: number | undefined;
  const stream = pino.destination({
    dest: 1,
    sync: true,
    retryEAGAIN: () => {
      stuckSince ??= Date.now();
      return Date.now() - stuckSince < STUCK_OUTPUT_MS;
    },
  });
  stream.on("write", () => {
    stuckSince = undefined;
  });
  // A line given up on: there is nowhere left to report it.
  stream.on("error", () => undefined);
  return stream;
}

export function createLogger(
  level: string,
  destination: pino.DestinationStream = stdoutDestination(),
  recent: RecentLines = recentLogLines,
): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_KEYS, censor: "[redacted]" },
      hooks: {
        streamWrite: (line) => {
          const clean = redactSecrets(line);
          recent.push(clean);
          return clean;
        },
      },
    },
    destination,
  );
}
