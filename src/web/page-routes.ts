// The admin pages, rendered on the server from the store. Without a session every page
// sends the browser to /login and back afterwards.
import type { IsolationStatus } from "../agent/isolation/agent-isolation.ts";
import { Hono, type Context } from "hono";
import { globalMemoryDir, groupDir, type Paths } from "../data-layout.ts";
import { TreeFileError } from "../agent/isolation/tree-fs.ts";
import type { Config } from "../config.ts";
import type { Settings } from "../settings/settings.ts";
import type { CoreView } from "../core/status-port.ts";
import type { RecentLines } from "../log.ts";
import type { Db } from "../store/db.ts";
import { getGroupByFolder, listChats, listGroups } from "../store/groups.ts";
import { outboundFilesOf } from "../store/outbound-files.ts";
import { listRuns, listTasks } from "../store/tasks.ts";
import type { ActivityTracker } from "./activity.ts";
import type { AdminToken } from "./admin-token.ts";
import { sessionOf } from "./auth.ts";
import { groupMessages, parseMessageQuery } from "./conversations-api.ts";
import { parseLevel } from "./logs-api.ts";
import { readMemory } from "./memory-file.ts";
import { GLOBAL_MEMORY } from "./memory-api.ts";
import type { ModelChecker } from "./model-check.ts";
import { chatPage } from "./pages/chat.ts";
import { conversationsPage } from "./pages/conversations.ts";
import { groupsPage } from "./pages/groups.ts";
import type { PageContext } from "./pages/layout.ts";
import { loginPage } from "./pages/login.ts";
import { logsPage } from "./pages/logs.ts";
import { memoryPage } from "./pages/memory.ts";
import { setupPage } from "./pages/setup.ts";
import { tasksPage } from "./pages/tasks.ts";
import { skillsPage } from "./pages/skills.ts";
import type { Skills } from "../skills/skills.ts";
import { pendingSkillRequests } from "../store/skill-requests.ts";
import { usagePage } from "./pages/usage.ts";
import { mcpPage } from "./pages/mcp.ts";
import type { McpHub } from "../mcp/hub.ts";
import { secretViews, serverView } from "../mcp/servers.ts";
import { listMcpServers } from "../store/mcp-servers.ts";
import { csrfToken } from "./session.ts";
import { setupReport } from "./setup-api.ts";
import { taskView } from "./tasks-api.ts";

export interface PageDeps {
  config: Config;
  db: Db;
  paths: Paths;
  token: AdminToken;
  orchestrator: CoreView;
  activity: ActivityTracker;
  checker: ModelChecker;
  settings: Settings;
  recent: RecentLines;
  /** Whether GET /api/backup exists. */
  backup: boolean;
  isolation: IsolationStatus;
  skills: Skills;
  mcp: McpHub;
}

/** Rendered HTML, not part of the typed API: plain statements suit it better than a chain. */
export function pageRoutes(deps: PageDeps): Hono {
  const { config, db, token } = deps;
  const app = new Hono();

  const page =
    (
      render: (c: Context, context: PageContext) => string | Response | Promise<string | Response>,
    ) =>
    async (c: Context) => {
      const session = sessionOf(c, token, db);
      if (!session) {
        const next = new URL(c.req.url);
        return c.redirect(`/login?next=${encodeURIComponent(next.pathname + next.search)}`, 303);
      }
      c.header("Cache-Control", "no-store");
      const result = await render(c, {
        assistantName: config.ASSISTANT_NAME,
        csrf: csrfToken(token.value, session),
        timeZone: config.TZ,
      });
      return typeof result === "string" ? c.html(result) : result;
    };

  app.get("/login", (c) => {
    c.header("Cache-Control", "no-store");
    // The credential problem says nothing /readyz does not already say, and a new owner
    // needs to see it first.
    return c.html(
      loginPage({ assistantName: config.ASSISTANT_NAME, notice: config.credentialProblem }),
    );
  });

  app.get(
    "/",
    page((_c, context) => chatPage(context, config.credentialProblem)),
  );

  app.get(
    "/setup",
    page((_c, context) =>
      setupPage(context, setupReport({ ...deps, checker: deps.checker }), deps.settings.list(), {
        backup: deps.backup,
        tokenFromEnvironment: token.fromEnvironment,
      }),
    ),
  );

  app.get(
    "/groups",
    page((_c, context) =>
      groupsPage(context, {
        groups: listGroups(db),
        discovered: listChats(db).filter((chat) => !chat.registered),
        defaultModel: config.MODEL,
      }),
    ),
  );

  app.get(
    "/memory/:folder",
    page(async (c, context) => {
      const folder = c.req.param("folder") ?? "";
      const group = folder === GLOBAL_MEMORY ? undefined : getGroupByFolder(db, folder);
      if (folder !== GLOBAL_MEMORY && !group)
        return c.text(`No group with folder "${folder}".`, 404);
      const dir =
        folder === GLOBAL_MEMORY ? globalMemoryDir(deps.paths) : groupDir(deps.paths, folder);
      let memory;
      try {
        memory = await readMemory(dir);
      } catch (error) {
        if (!(error instanceof TreeFileError)) throw error;
        memory = { error: error.message };
      }
      return memoryPage(
        context,
        { folder, title: group ? group.name : "global (every group)" },
        memory,
      );
    }),
  );

  app.get(
    "/conversations",
    page((c, context) => {
      const groups = listGroups(db);
      const folder = c.req.query("group");
      const group = folder ? getGroupByFolder(db, folder) : groups.find((g) => g.isMain);
      const query = parseMessageQuery({
        q: c.req.query("q"),
        before: c.req.query("before"),
        limit: "100",
      });
      const error =
        "error" in query ? query.error : folder && !group ? `no group with folder "${folder}"` : "";
      const valid = "error" in query ? { q: undefined, before: undefined, limit: 100 } : query;
      const messages = group && !("error" in query) ? groupMessages(db, group, valid) : [];
      return conversationsPage(context, {
        groups,
        group,
        query: valid,
        messages,
        sentFiles: outboundFilesOf(
          db,
          messages.map((m) => m.id),
        ),
        retentionDays: deps.config.ATTACHMENT_RETENTION_DAYS,
        activity: group ? deps.activity.get(group.id) : undefined,
        error,
      });
    }),
  );

  app.get(
    "/skills",
    page(async (_c, context) =>
      skillsPage(context, {
        skills: await deps.skills.list(),
        requests: pendingSkillRequests(db),
        groups: listGroups(db),
      }),
    ),
  );

  app.get(
    "/tasks",
    page((_c, context) =>
      tasksPage(
        context,
        listTasks(db).map((task) => ({
          task: taskView(db, task),
          runs: listRuns(db, task.id, 20),
        })),
      ),
    ),
  );

  app.get(
    "/usage",
    page((_c, context) => usagePage(context, listMcpServers(db))),
  );

  app.get(
    "/mcp",
    page((_c, context) =>
      mcpPage(
        context,
        listMcpServers(db).map((row) => serverView(db, deps.mcp, row)),
        secretViews(db),
        listGroups(db).map((group) => group.folder),
      ),
    ),
  );

  app.get(
    "/logs",
    page((c, context) => {
      const level = parseLevel(c.req.query("level")) ?? "info";
      return logsPage(context, level, deps.recent.read(level, 500));
    }),
  );
  return app;
}
