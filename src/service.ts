// Wiring only: config → store → proxy → channels → orchestrator → HTTP server (main.ts starts it).
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import type { Channel } from "./channels/channel.ts";
import { WebChannel, webMainGroup } from "./channels/web.ts";
import { ChannelSupervisor } from "./channels/supervisor.ts";
import { ConfigError, type Config } from "./config.ts";
import { createLogger, registerSecret, type Logger } from "./log.ts";
import { consoleDestination } from "./log-console.ts";
import { routeConsoleToLogger } from "./console-capture.ts";
import { openDb } from "./store/db.ts";
import { getGroup, listGroups } from "./store/groups.ts";
import { recordUsage } from "./store/usage.ts";
import { CredentialProxy, DEFAULT_MODEL_URL, type Upstream } from "./agent/credential-proxy.ts";
import { Budget } from "./budget/budget.ts";
import { setUpIsolation } from "./agent/isolation/setup.ts";
import { ensureGlobalMemory, globalMemoryTools } from "./agent/global-memory.ts";
import { databaseFile, dataPaths, outboundFilesDir, settingsFile } from "./data-layout.ts";
import { loadWithSettings, MODEL_SETTINGS, Settings } from "./settings/settings.ts";
import { Delivery } from "./core/delivery.ts";
import { DiskSpace } from "./core/disk-space.ts";
import { DiskQuota } from "./core/disk-quota.ts";
import { agentLimitsStatement, detectCgroupDelegation } from "./agent/isolation/cgroup.ts";
import { Orchestrator } from "./core/orchestrator.ts";
import { PAIRING_CODE_LIFETIME_MS } from "./core/pairing.ts";
import { AdminToken, adminTokenNotice, loadAdminToken, serviceUrls } from "./web/admin-token.ts";
import { Scheduler } from "./scheduler/scheduler.ts";
import { taskTools } from "./scheduler/agent-tools.ts";
import { missedTaskNotice, taskRunner } from "./scheduler/task-runner.ts";
import { skillFolders } from "./agent/memory.ts";
import { Skills } from "./skills/skills.ts";
import { skillTools } from "./skills/agent-tools.ts";
import { createWebApp } from "./web/server.ts";
import { transcriberFromConfig } from "./transcribe/transcriber.ts";
import { setUpBrowsing } from "./browser/browsing.ts";
import { SECRET_VARIABLES } from "./secret-env.ts";
import { McpHub } from "./mcp/hub.ts";
import { stdioRunner } from "./mcp/stdio-user.ts";
import { mcpAgentTools } from "./mcp/agent-tools.ts";
import { approvalCommand } from "./mcp/servers.ts";
import { allSecrets } from "./store/host-secrets.ts";
import { allMcpOAuthTokens } from "./store/mcp-oauth.ts";
import { ensureDataDir, listenError, StartupError } from "./startup-errors.ts";
import { stopOnSignals } from "./shutdown.ts";

const BUNDLED_SKILLS = fileURLToPath(new URL("../skills", import.meta.url));
/**
 * How long a group's new session waits for an MCP server to connect before starting
 * without it: a server that hangs must not hold up the answer for a whole call timeout.
 */
const MCP_CONNECT_TIMEOUT_MS = 10_000;

async function start(
  config: Config,
  environment: Record<string, string | undefined>,
  logger: Logger,
): Promise<() => Promise<void>> {
  const paths = dataPaths(config.DATA_DIR);
  mkdirSync(paths.storeDir, { recursive: true, mode: 0o700 });
  const db = openDb(databaseFile(paths));
  const disk = new DiskSpace({ dir: paths.storeDir, logger });
  // Logged with the other warnings below, and shown on the setup page.
  config.warnings.push(agentLimitsStatement(detectCgroupDelegation()));

  const admin = loadAdminToken(config.DATA_DIR, config.ADMIN_TOKEN);
  // Printed before anything can fail, so a start that stops on a busy port still shows it.
  const tokenNotice = adminTokenNotice({
    ...admin,
    fromEnvironment: config.ADMIN_TOKEN !== undefined,
    dataDir: config.DATA_DIR,
    urls: serviceUrls(config.HOST, config.PORT),
  });
  logger.info(tokenNotice.fields, tokenNotice.text);
  registerSecret(admin.token);

  const settings = new Settings({ file: settingsFile(config.DATA_DIR), environment, config });
  const budget = new Budget({
    db,
    // Read at each use: the time zone may be changed on the setup page.
    get timeZone() {
      return config.TZ;
    },
    defaultDailyUsd: config.DAILY_BUDGET_USD,
  });
  const upstream = modelUpstream(config);
  const proxy = new CredentialProxy({
    upstream: upstream.url,
    credential: upstream.credential,
    logger,
    onUsage: (usage) => disk.attempt("a usage record", () => recordUsage(db, usage)),
    refuse: (groupId) => budget.refusal(groupId),
  });
  await proxy.start();

  const isolation = await setUpIsolation({ config, db, paths, logger });
  await ensureGlobalMemory(paths, config.ASSISTANT_NAME);

  let listeningPort = config.PORT;
  const browsing = await setUpBrowsing({
    chromiumPath: config.CHROMIUM_PATH,
    maxOpen: config.BROWSER_MAX_OPEN,
    pageTimeoutMs: config.BROWSER_PAGE_TIMEOUT,
    paths,
    servicePorts: () => [listeningPort, Number(new URL(proxy.url).port)],
    isolation,
    logger,
  });

  const web = new WebChannel();
  const channels = new Map<string, Channel>([["web", web]]);
  const transcriber = transcriberFromConfig(config);
  if (transcriber) {
    logger.info(
      { endpoint: transcriber.endpoint, model: transcriber.model },
      "voice notes are transcribed",
    );
  } else logger.info("voice notes are not transcribed: set TRANSCRIBE_URL to turn it on");
  const delivery = new Delivery({
    db,
    channels,
    logger,
    // Read at each use: the name may be changed on the setup page.
    get assistantName() {
      return config.ASSISTANT_NAME;
    },
    filesDir: outboundFilesDir(paths),
    disk,
  });
  const quota = new DiskQuota({
    db,
    paths,
    quotaBytes: config.GROUP_DISK_QUOTA_MB * 1024 * 1024,
    retentionDays: config.ATTACHMENT_RETENTION_DAYS,
    isolation,
    notify: (group, text) => orchestrator.notify(group, text),
    logger,
  });
  const skills = new Skills({ paths, bundledNames: () => skillFolders(BUNDLED_SKILLS), logger });
  for (const value of [...allSecrets(db).values(), ...allMcpOAuthTokens(db)]) registerSecret(value);
  const mcp = new McpHub({
    db,
    logger,
    stdio: stdioRunner({ db, paths, isolation }),
    defaultFolder: () => mainGroup.folder,
    callTimeoutMs: config.MCP_CALL_TIMEOUT,
    connectTimeoutMs: MCP_CONNECT_TIMEOUT_MS,
    maxResultChars: config.MCP_MAX_RESULT_CHARS,
    idleMs: config.AGENT_IDLE_TIMEOUT,
  });
  const orchestrator = new Orchestrator({
    config,
    db,
    paths,
    proxy,
    delivery,
    channels,
    logger,
    bundledSkillsDir: BUNDLED_SKILLS,
    installedSkills: (group) => skills.forGroup(group.folder),
    isolation,
    disk,
    quota,
    maxAttachmentBytes: config.MAX_ATTACHMENT_BYTES,
    transcriber,
    extraTools: (group) => [
      ...taskTools(group, { db, defaultTimezone: config.TZ, scheduler }),
      ...browsing.tools(group),
      ...globalMemoryTools(group, paths),
      ...skillTools(group, { db, paths }),
      ...mcpAgentTools(group, db),
    ],
    mcpServers: (group) => mcp.forGroup(group.folder),
    ownerCommand: approvalCommand(db, mcp),
  });
  // A changed server reaches the groups it serves at their next turn.
  mcp.on("changed", (folder) => {
    for (const group of listGroups(db))
      if (folder === null || group.folder === folder) orchestrator.refreshTools(group.id);
  });
  orchestrator.setChannelState("browser", browsing.state);
  orchestrator.on("sessionClosed", (groupId) => void browsing.closeGroup(groupId));
  orchestrator.on("sessionClosed", (groupId) => void quota.measureGroup(groupId));
  const scheduler: Scheduler = new Scheduler({
    db,
    runTask: taskRunner({
      db,
      orchestrator,
      paths,
      get timeZone() {
        return config.TZ;
      },
      get assistantName() {
        return config.ASSISTANT_NAME;
      },
      isolation,
    }),
    onMissed: (task) => {
      const group = getGroup(db, task.groupId);
      if (group) orchestrator.notify(group, missedTaskNotice(task));
    },
    logger: logger.child({ component: "scheduler" }),
    disk,
  });

  const mainGroup = webMainGroup(db, config.ASSISTANT_NAME);
  // MAIN_CHAT is "<channel>:<chat id>" (a chat id may hold a colon).
  const registerMainChat = () => {
    if (!config.MAIN_CHAT) return;
    const [channel, ...rest] = config.MAIN_CHAT.split(":");
    orchestrator.registerMainChat(channel!, rest.join(":"), "Owner");
  };

  registerMainChat();
  await web.start(orchestrator.hostFor("web"));
  const supervisor = new ChannelSupervisor({
    config,
    logger,
    channels,
    host: (name) => orchestrator.hostFor(name),
    report: (name, state) => orchestrator.setChannelState(name, state),
  });
  await supervisor.startAll();
  settings.on("changed", (names) => {
    logger.info({ settings: names }, "settings changed");
    if (names.some((name) => MODEL_SETTINGS.includes(name)))
      proxy.setUpstream(modelUpstream(config));
    if (names.includes("MAIN_CHAT")) registerMainChat();
    supervisor
      .apply(names)
      .catch((error: unknown) =>
        logger.error({ err: error }, "applying the settings to the channels failed"),
      );
  });
  logger.info(
    `Main-chat pairing code: send "/pair ${orchestrator.status.pairing().code}" to the bot in a direct message within ${PAIRING_CODE_LIFETIME_MS / 60_000} minutes (later codes: the setup page or \`pincer status\`)`,
  );
  delivery.resume();
  orchestrator.recover();
  scheduler.start();
  quota.start();

  let ready = true;
  const app = createWebApp({
    config,
    db,
    paths,
    adminToken: new AdminToken(admin.token, {
      dataDir: config.DATA_DIR,
      fromEnvironment: config.ADMIN_TOKEN !== undefined,
    }),
    mainGroup,
    web,
    orchestrator,
    settings,
    delivery,
    proxy,
    scheduler,
    skills,
    isolation: isolation.status,
    mcp,
    retireGroup: (group) =>
      mcp
        .closeFolder(group.folder)
        .then(() => isolation.retire(group))
        .catch((error: unknown) =>
          logger.error(
            { group: group.folder, err: (error as Error).message },
            "could not retire the unregistered group's user",
          ),
        ),
    isReady: () => ready,
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    listeningPort = info.port;
    logger.info(
      { port: info.port, dataDir: config.DATA_DIR },
      `Pincer is up: web chat on http://localhost:${info.port}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(listenError(error, config.PORT, config.HOST) ?? error);
    server.once("error", failed);
    server.once("listening", () => {
      server.off("error", failed);
      resolve();
    });
  });
  if (config.credentialProblem) logger.warn(config.credentialProblem);
  for (const warning of config.warnings) logger.warn(warning);

  return async () => {
    ready = false;
    server.close();
    scheduler.stop();
    await orchestrator.stop(config.SHUTDOWN_GRACE_SECONDS * 1000);
    await browsing.closeAll();
    await mcp.closeAll();
    await delivery.drain();
    await supervisor.stopAll();
    await web.stop();
    await proxy.stop();
    disk.stop();
    quota.stop();
    db.close();
  };
}

function modelUpstream(config: Config): Upstream {
  return {
    url: config.ANTHROPIC_BASE_URL ?? DEFAULT_MODEL_URL,
    credential: { apiKey: config.ANTHROPIC_API_KEY, authToken: config.ANTHROPIC_AUTH_TOKEN },
  };
}

/** Runs the service with the secret settings main.ts took out of the environment. */
export async function main(secrets: Record<string, string>): Promise<void> {
  const environment = { ...process.env, ...secrets };
  let config: Config;
  try {
    config = loadWithSettings(environment);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  for (const name of SECRET_VARIABLES) registerSecret(config[name]);
  const logger = createLogger(config.LOG_LEVEL, consoleDestination(config.TZ));
  routeConsoleToLogger(logger);
  let stop: () => Promise<void>;
  try {
    ensureDataDir(config.DATA_DIR);
    stop = await start(config, environment, logger);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    // A setting to fix, said in one line; exiting flushes the log (a token generated
    // before the failure is already in DATA_DIR/admin-token and printed above).
    logger.fatal(error.message);
    process.exit(2);
  }
  stopOnSignals(stop, logger, config.SHUTDOWN_GRACE_SECONDS * 1000);
}
