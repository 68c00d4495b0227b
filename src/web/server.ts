// The one HTTP server: health checks, the admin pages (chat, setup, groups, conversations,
// tasks, usage, logs) and the JSON API under /api/ that the pages and the CLI use. All of
// it except /healthz, /readyz, /login and the static assets needs the admin token.
import { Hono } from "hono";
import type { CredentialProxy } from "../agent/credential-proxy.ts";
import type { Paths } from "../data-layout.ts";
import type { WebChannel } from "../channels/web.ts";
import type { Config } from "../config.ts";
import type { Delivery } from "../core/delivery.ts";
import { DISK_FULL_REFUSAL, DiskFullError } from "../core/disk-space.ts";
import type { Orchestrator } from "../core/orchestrator.ts";
import { recentLogLines, type RecentLines } from "../log.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import { ActivityTracker } from "./activity.ts";
import type { AdminToken } from "./admin-token.ts";
import { mountAssetRoutes } from "./assets-route.ts";
import { apiGuard, mountLoginRoute, mountSessionRoutes } from "./auth.ts";
import { mountBackupRoutes } from "./backup-api.ts";
import { mountChatRoutes } from "./chat-api.ts";
import { mountConversationRoutes } from "./conversations-api.ts";
import { mountEventRoutes } from "./events-api.ts";
import { mountGroupRoutes } from "./groups-api.ts";
import { LoginLimiter } from "./login-limit.ts";
import { mountLogRoutes } from "./logs-api.ts";
import { mountMemoryRoutes } from "./memory-api.ts";
import { ModelChecker } from "./model-check.ts";
import { mountPageRoutes } from "./page-routes.ts";
import { mountSetupRoutes } from "./setup-api.ts";
import type { IsolationStatus } from "../agent/isolation/agent-isolation.ts";
import { mountStatusRoutes, readiness } from "./status-api.ts";
import { mountTaskRoutes } from "./tasks-api.ts";
import { mountUsageRoutes } from "./usage-api.ts";

export interface WebServerOptions {
  config: Config;
  db: Db;
  paths: Paths;
  adminToken: AdminToken;
  mainGroup: Group;
  web: WebChannel;
  orchestrator: Orchestrator;
  delivery: Delivery;
  proxy: Pick<CredentialProxy, "url" | "issueToken" | "revokeToken">;
  scheduler: { changed(): void };
  isolation: IsolationStatus;
  /** Called after a group is unregistered: its agent user is retired (never throws). */
  retireGroup(group: Group): Promise<void>;
  isReady(): boolean;
  /** Where GET /api/logs reads from; the service's own log by default. */
  recentLogs?: RecentLines;
}

// No inline script or style, nothing from another origin, no framing: markup that slipped
// through escaping still could not run.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function createWebApp(options: WebServerOptions): Hono {
  const { config, db, orchestrator } = options;
  const token = options.adminToken;
  const recent = options.recentLogs ?? recentLogLines;
  const auth = { token, db, limiter: new LoginLimiter(), trustProxy: config.TRUST_PROXY };
  const activity = new ActivityTracker(orchestrator);
  const checker = new ModelChecker({
    proxy: options.proxy,
    groupId: options.mainGroup.id,
    model: config.MODEL,
    credentialProblem: config.credentialProblem,
  });
  const app = new Hono();

  app.onError((error, c) => {
    // A write refused for lack of space is said in words (507 Insufficient Storage).
    if (
      error instanceof DiskFullError ||
      orchestrator.disk.report(error, "a change made on the web")
    )
      return c.json({ error: DISK_FULL_REFUSAL }, 507);
    return c.json({ error: `internal error: ${error.message}` }, 500);
  });

  app.use("*", async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "same-origin");
    c.header("X-Frame-Options", "DENY");
  });

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.get("/readyz", (c) => {
    const ready = options.isReady();
    return c.json(readiness(config, orchestrator, ready), ready ? 200 : 503);
  });

  mountAssetRoutes(app);
  mountLoginRoute(app, auth);
  app.use("/api/*", apiGuard(auth));
  mountSessionRoutes(app, auth);
  mountStatusRoutes(app, { config, db, orchestrator });
  mountChatRoutes(app, {
    db,
    web: options.web,
    mainGroup: options.mainGroup,
    orchestrator,
    delivery: options.delivery,
    maxMessageChars: config.MAX_MESSAGE_CHARS,
    maxAudioBytes: config.MAX_ATTACHMENT_BYTES,
  });
  mountEventRoutes(app, { db, orchestrator, activity });
  mountSetupRoutes(app, { config, db, orchestrator, checker, isolation: options.isolation });
  mountTaskRoutes(app, { db, scheduler: options.scheduler });
  mountGroupRoutes(app, {
    db,
    assistantName: config.ASSISTANT_NAME,
    retireGroup: options.retireGroup,
  });
  mountConversationRoutes(app, { db });
  mountMemoryRoutes(app, { db, paths: options.paths });
  mountLogRoutes(app, { recent });
  mountUsageRoutes(app, { db, config });
  mountBackupRoutes(app, { db, dataDir: config.DATA_DIR });
  app.all("/api/*", (c) =>
    c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404),
  );
  mountPageRoutes(app, {
    config,
    db,
    paths: options.paths,
    token,
    orchestrator,
    activity,
    checker,
    recent,
    backup: true,
    isolation: options.isolation,
  });
  return app;
}
