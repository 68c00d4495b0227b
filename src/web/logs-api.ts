// /api/logs: the service's recent log lines (secrets already redacted when written).
import { Hono } from "hono";
import { LOG_LEVELS, type LogLevelName, type RecentLines } from "../log.ts";

export function parseLevel(value: string | undefined): LogLevelName | undefined | null {
  if (value === undefined || value === "") return undefined;
  return value in LOG_LEVELS ? (value as LogLevelName) : null;
}

export function logRoutes(deps: { recent: RecentLines }) {
  return new Hono().get("/api/logs", (c) => {
    const level = parseLevel(c.req.query("level"));
    if (level === null)
      return c.json({ error: `level: expected one of ${Object.keys(LOG_LEVELS).join(", ")}` }, 400);
    const rawLimit = c.req.query("limit") ?? "200";
    const limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= 1000))
      return c.json({ error: "limit: expected a whole number from 1 to 1000" }, 400);
    return c.json({ lines: deps.recent.read(level, limit) });
  });
}
