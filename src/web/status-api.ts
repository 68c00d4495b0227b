// /readyz for anyone, and /api/status, /api/outbox/failed and /api/usage behind the admin
// token: the service at a glance.
import { Hono } from "hono";
import type { ChannelStatus } from "../channels/channel.ts";
import type { Config } from "../config.ts";
import type { CoreView } from "../core/status-port.ts";
import type { Db } from "../store/db.ts";
import { failedDeliveries } from "../store/outbox.ts";
import { usageSince } from "../store/usage.ts";
import { channelReport } from "./setup-api.ts";

export interface Readiness {
  ready: boolean;
  credential: "ok" | "missing";
  channels: Record<string, ChannelStatus>;
}

/**
 * What /readyz tells anyone who asks: status words only. Details (errors, file paths,
 * pairing codes, a WhatsApp link QR) are for the owner, behind the token.
 */
export function readiness(config: Config, orchestrator: CoreView, ready: boolean): Readiness {
  return {
    ready,
    credential: config.credentialProblem ? "missing" : "ok",
    channels: Object.fromEntries(
      orchestrator.status.channels().map(([name, state]) => [name, state.status]),
    ),
  };
}

export function statusRoutes(deps: { config: Config; db: Db; orchestrator: CoreView }) {
  const { config, db, orchestrator } = deps;
  return (
    new Hono()
      .get("/api/status", (c) => {
        const { status } = orchestrator;
        const pairing = status.pairing();
        return c.json({
          assistantName: config.ASSISTANT_NAME,
          timezone: config.TZ,
          credential: config.credentialProblem ?? "ok",
          channels: Object.fromEntries(
            status.channels().map(([name, state]) => {
              const { name: _name, ...report } = channelReport(name, state);
              return [name, report];
            }),
          ),
          agents: status.agents(),
          warnings: config.warnings,
          pairingCode: pairing.code,
          pairingExpiresAt: pairing.expiresAt,
        });
      })
      // Replies that could not be delivered after every retry: visible, never silently lost.
      .get("/api/outbox/failed", (c) => c.json({ failed: failedDeliveries(db, 100) }))
      // Model tokens per group as the credential proxy counted them, since a given time.
      .get("/api/usage", (c) => {
        const since = Number(c.req.query("since") ?? Date.now() - 24 * 3600 * 1000);
        if (!Number.isFinite(since))
          return c.json({ error: "since: expected milliseconds since the epoch" }, 400);
        return c.json({ since, groups: usageSince(db, since) });
      })
  );
}
