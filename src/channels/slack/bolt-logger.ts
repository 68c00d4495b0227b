// Bolt, the Socket Mode client and the Web API client log through @slack/logger's
// interface; this routes them into the service's pino logger.
import { format } from "node:util";
import { LogLevel, type Logger as SlackLogger } from "@slack/bolt";
import type { Logger } from "../../log.ts";

function slackLevel(level: string): LogLevel {
  if (level === "trace" || level === "debug") return LogLevel.DEBUG;
  if (level === "info") return LogLevel.INFO;
  if (level === "warn") return LogLevel.WARN;
  return LogLevel.ERROR;
}

export function boltLogger(logger: Logger): SlackLogger {
  return {
    debug: (...msg: unknown[]) => logger.debug(format(...msg)),
    info: (...msg: unknown[]) => logger.info(format(...msg)),
    warn: (...msg: unknown[]) => logger.warn(format(...msg)),
    error: (...msg: unknown[]) => logger.error(format(...msg)),
    getLevel: () => slackLevel(logger.level),
    // The service's log level is configured once for every component; Bolt may not change it.
    setLevel: () => {},
    setName: () => {},
  };
}
