// How the log reads in a terminal. A host (Docker, Railway, systemd) parses stdout as JSON
// lines, so those stay the default; a person running Pincer in a terminal gets one readable
// line per record instead: time in TZ, level, message, the fields that say what it is about.
// This is a plain pino destination in the same thread (no transport worker, which would cost
// a thread and its heap while idle), and it receives each line after log.ts's streamWrite
// hook has masked the secrets, so what it prints is as redacted as the JSON.
import type { DestinationStream } from "pino";
import { dateFormat } from "./time/date-format.ts";
import { LOG_LEVELS, type LogLevelName } from "./log.ts";

/** Fields every line carries or the line already shows; not repeated after the message. */
const SHOWN = new Set(["level", "time", "msg", "pid", "hostname", "notice"]);
const MAX_FIELD_CHARS = 200;

const COLOURS: Record<LogLevelName, string> = {
  trace: "\x1b[90m",
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
  fatal: "\x1b[41m\x1b[97m",
};
const RESET = "\x1b[0m";
const BOLD = "\x1b[1m";

export interface ConsoleFormat {
  timeZone: string;
  colour: boolean;
}

function levelOf(value: unknown): LogLevelName {
  const names = Object.keys(LOG_LEVELS) as LogLevelName[];
  return names.find((name) => LOG_LEVELS[name] === value) ?? "info";
}

function fieldText(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const oneLine = (text ?? String(value)).replace(/\s*\n\s*/g, " ");
  return oneLine.length > MAX_FIELD_CHARS ? `${oneLine.slice(0, MAX_FIELD_CHARS)}…` : oneLine;
}

/**
 * One JSON log line as a person reads it: `12:04:05 WARN  message  channel=telegram`. A
 * record marked `notice: true` (the first-start block with the URL and admin token) is drawn
 * as a framed block so that it stands out from the lines around it.
 */
export function formatLogLine(line: string, format: ConsoleFormat): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const level = levelOf(record.level);
  const time = dateFormat("en-GB", {
    timeZone: format.timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(new Date(typeof record.time === "number" ? record.time : Date.now()));
  const message = typeof record.msg === "string" ? record.msg : "";
  const paint = (code: string, text: string) => (format.colour ? `${code}${text}${RESET}` : text);
  if (record.notice === true) {
    const rows = message.split("\n");
    const rule = "─".repeat(Math.min(78, Math.max(...rows.map((row) => row.length)) + 2));
    return `\n┌${rule}\n${rows.map((row) => `│ ${row ? paint(BOLD, row) : ""}`).join("\n")}\n└${rule}\n\n`;
  }
  const fields = Object.entries(record)
    .filter(([key, value]) => !SHOWN.has(key) && value !== undefined)
    .map(([key, value]) => `${paint("\x1b[90m", `${key}=`)}${fieldText(value)}`);
  const label = paint(COLOURS[level], level.toUpperCase().padEnd(5));
  return `${paint("\x1b[90m", time)} ${label} ${message}${fields.length ? `  ${fields.join(" ")}` : ""}\n`;
}

/**
 * Where the service's log goes: readable lines when stdout is a terminal, else undefined
 * (pino's own JSON to stdout). NO_COLOR turns the colours off (https://no-color.org).
 */
export function consoleDestination(
  timeZone: string,
  stdout: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): DestinationStream | undefined {
  if (!stdout.isTTY) return undefined;
  const format = { timeZone, colour: !env.NO_COLOR };
  // A terminal's writes are synchronous in Node, so a fatal line is out before process.exit.
  return { write: (line: string) => void stdout.write(formatLogLine(line, format)) };
}
