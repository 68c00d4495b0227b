// /api/status, /api/outbox/failed and /api/usage: the service at a glance.
import type { Hono } from "hono";
import type { Config } from "../config.ts";
import type { Orchestrator } from "../core/orchestrator.ts";
import type { Db } from "../store/db.ts";
import { failedDeliveries } from "../store/outbox.ts";
import { usageSince } from "../store/usage.ts";

export function mountStatusRoutes(
  app: Hono,
  deps: { config: Config; db: Db; orchestrator: Orchestrator },
): void {
  const { config, db, orchestrator } = deps;
  app.get("/api/status", (c) =>
    c.json({
      assistantName: config.ASSISTANT_NAME,
      timezone: config.TZ,
      credential: config.credentialProblem ?? "ok",
      channels: Object.fromEntries(orchestrator.channelStates),
      agents: orchestrator.pool
        .sessions()
        .map(([groupId, session]) => ({ groupId, busy: session.busy, pid: session.pid })),
      warnings: config.warnings,
      pairingCode: orchestrator.pairing.code,
    }),
  );

  // Replies that could not be delivered after every retry: visible, never silently lost.
  app.get("/api/outbox/failed", (c) => c.json({ failed: failedDeliveries(db, 100) }));

  // Model tokens per group as the credential proxy counted them, since a given time.
  app.get("/api/usage", (c) => {
    const since = Number(c.req.query("since") ?? Date.now() - 24 * 3600 * 1000);
    if (!Number.isFinite(since))
      return c.json({ error: "since: expected milliseconds since the epoch" }, 400);
    return c.json({ since, groups: usageSince(db, since) });
  });
}
