// The one HTTP server: health checks, the admin pages (chat, setup, groups, conversations,
// tasks, usage, logs) and the JSON API under /api/ that the pages and the CLI use. All of
// it except /healthz, /readyz, /login and the static assets needs the admin token.
import { Hono } from "hono";
import type { CredentialProxy } from "../agent/credential-proxy.ts";
import { outboundFilesDir, type Paths } from "../data-layout.ts";
import type { WebChannel } from "../channels/web.ts";
import type { Config } from "../config.ts";
import type { Delivery } from "../core/delivery.ts";
import { DISK_FULL_REFUSAL, DiskFullError } from "../core/disk-space.ts";
import type { CoreView } from "../core/status-port.ts";
import { recentLogLines, type RecentLines } from "../log.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import { secureHeaders } from "hono/secure-headers";
import type { IsolationStatus } from "../agent/isolation/agent-isolation.ts";
import type { Settings } from "../settings/settings.ts";
import { ActivityTracker } from "./activity.ts";
import type { AdminToken } from "./admin-token.ts";
import { assetRoutes } from "./assets-route.ts";
import { apiGuard, loginRoutes, sessionRoutes, type AuthDeps } from "./auth.ts";
import { backupRoutes } from "./backup-api.ts";
import { chatRoutes } from "./chat-api.ts";
import { conversationRoutes } from "./conversations-api.ts";
import { eventRoutes } from "./events-api.ts";
import { groupRoutes } from "./groups-api.ts";
import { skillRoutes } from "./skills-api.ts";
import type { Skills } from "../skills/skills.ts";
import { LoginLimiter } from "./login-limit.ts";
import { logRoutes } from "./logs-api.ts";
import { memoryRoutes } from "./memory-api.ts";
import { mcpOAuthRoutes, mcpRoutes } from "./mcp-api.ts";
import type { McpHub } from "../mcp/hub.ts";
import { ModelChecker } from "./model-check.ts";
import { pageRoutes } from "./page-routes.ts";
import { settingsRoutes } from "./settings-api.ts";
import { setupRoutes } from "./setup-api.ts";
import { readiness, statusRoutes } from "./status-api.ts";
import { taskRoutes } from "./tasks-api.ts";
import { usageRoutes } from "./usage-api.ts";

export interface WebServerOptions {
  config: Config;
  db: Db;
  paths: Paths;
  adminToken: AdminToken;
  mainGroup: Group;
  web: WebChannel;
  orchestrator: CoreView;
  settings: Settings;
  delivery: Delivery;
  proxy: Pick<CredentialProxy, "url" | "issueToken" | "revokeToken">;
  scheduler: { changed(): void };
  /** The skills the owner installs (GET/POST /api/skills …). */
  skills: Skills;
  isolation: IsolationStatus;
  /** The owner's MCP servers, connected by the host. */
  mcp: McpHub;
  /** Called after a group is unregistered: its agent user is retired (never throws). */
  retireGroup(group: Group): Promise<void>;
  isReady(): boolean;
  /** Where GET /api/logs reads from; the service's own log by default. */
  recentLogs?: RecentLines;
}

// No inline script or style, nothing from another origin, no framing: markup that slipped
// through escaping still could not run. Exactly these four headers; secureHeaders' other
// defaults (HSTS among them) are the deployment's choice, not ours.
const SECURITY_HEADERS = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    mediaSrc: ["'self'", "blob:"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xContentTypeOptions: true,
  referrerPolicy: "same-origin",
  xFrameOptions: "DENY",
  crossOriginResourcePolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  strictTransportSecurity: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

type ApiDeps = Omit<WebServerOptions, "adminToken" | "recentLogs" | "isReady"> & {
  auth: AuthDeps;
  activity: ActivityTracker;
  checker: ModelChecker;
  recent: RecentLines;
};

/** The JSON API under /api/: logging in, then everything behind the admin token. */
function apiRoutes(deps: ApiDeps) {
  const { config, db, orchestrator, auth } = deps;
  return new Hono()
    .route("/", loginRoutes(auth))
    .use("/api/*", apiGuard(auth))
    .route("/", sessionRoutes(auth))
    .route("/", statusRoutes({ config, db, orchestrator }))
    .route(
      "/",
      chatRoutes({
        db,
        web: deps.web,
        mainGroup: deps.mainGroup,
        orchestrator,
        delivery: deps.delivery,
        maxMessageChars: config.MAX_MESSAGE_CHARS,
        maxAudioBytes: config.MAX_ATTACHMENT_BYTES,
        filesDir: outboundFilesDir(deps.paths),
        retentionDays: config.ATTACHMENT_RETENTION_DAYS,
      }),
    )
    .route("/", eventRoutes({ db, orchestrator, activity: deps.activity }))
    .route(
      "/",
      setupRoutes({ config, db, orchestrator, checker: deps.checker, isolation: deps.isolation }),
    )
    .route("/", settingsRoutes({ settings: deps.settings, config, checker: deps.checker }))
    .route("/", taskRoutes({ db, scheduler: deps.scheduler }))
    .route(
      "/",
      groupRoutes({
        db,
        // Read at each registration: the name may be changed on the setup page.
        get assistantName() {
          return config.ASSISTANT_NAME;
        },
        retireGroup: deps.retireGroup,
      }),
    )
    .route("/", conversationRoutes({ db, retentionDays: config.ATTACHMENT_RETENTION_DAYS }))
    .route("/", memoryRoutes({ db, paths: deps.paths }))
    .route("/", logRoutes({ recent: deps.recent }))
    .route("/", usageRoutes({ db, config }))
    .route("/", backupRoutes({ db, dataDir: config.DATA_DIR }))
    .route("/", skillRoutes({ db, skills: deps.skills }))
    .route("/", mcpRoutes({ db, hub: deps.mcp }))
    .all("/api/*", (c) =>
      c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404),
    );
}

/** The JSON API's routes and shapes, for Hono's typed client (the CLI's `hc<AppType>`). */
export type AppType = ReturnType<typeof apiRoutes>;

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
    credentialProblem: () => config.credentialProblem,
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

  app.use("*", SECURITY_HEADERS);

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.get("/readyz", (c) => {
    const ready = options.isReady();
    return c.json(readiness(config, orchestrator, ready), ready ? 200 : 503);
  });

  app.route("/", assetRoutes());
  app.route("/", mcpOAuthRoutes({ db, hub: options.mcp }));
  app.route("/", apiRoutes({ ...options, auth, activity, checker, recent }));
  app.route(
    "/",
    pageRoutes({
      config,
      db,
      paths: options.paths,
      token,
      orchestrator,
      settings: options.settings,
      activity,
      checker,
      recent,
      backup: true,
      isolation: options.isolation,
      skills: options.skills,
      mcp: options.mcp,
    }),
  );
  return app;
}
