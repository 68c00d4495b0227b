// Starts one agent process for a group: a lease on its user and files, a scoped proxy
// token, its environment, tool server, hooks and system prompt. What the agent's tools do
// and how its prompt reads are the core's, handed in, so nothing here reaches up into it.
import type { McpSdkServerConfigWithInstance } from "@anthropic-ai/claude-agent-sdk";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Group } from "../store/groups.ts";
import type { CredentialProxy } from "./credential-proxy.ts";
import { agentEnvironment } from "./environment.ts";
import { readGlobalMemory } from "./global-memory.ts";
import { bashGuardHook } from "./hooks.ts";
import type { AgentIsolation } from "./isolation/agent-isolation.ts";
import { adminTokenFile, agentHome, groupDir, type Paths } from "../data-layout.ts";
import { prepareGroupFiles, skillsArchive, type SkillSet } from "./memory.ts";
import { AgentSession, type ModelChoice, type SessionEvents } from "./session.ts";
import { buildToolServer, type ToolHost } from "./tools.ts";

export interface LauncherOptions {
  config: Config;
  paths: Paths;
  proxy: CredentialProxy;
  isolation: AgentIsolation;
  bundledSkillsDir: string;
  /** The skills the owner installed for this group (or for all), as of its agent's start. */
  installedSkills?: ((group: Group) => Promise<SkillSet | undefined>) | undefined;
  logger: Logger;
  /** The text appended to the agent's system prompt, given the shared memory's text. */
  systemPrompt(group: Group, globalMemory: string): string;
  /** The owner's MCP servers for the group, reached through the host (none by default). */
  mcpServers?(group: Group): Promise<GroupMcpServers>;
}

/** A group's MCP servers for one session, and a line for each one that is unavailable. */
export interface GroupMcpServers {
  servers: Record<string, McpSdkServerConfigWithInstance>;
  notes: string[];
}

/** The model and effort a group's agent uses: its own, else the service's MODEL. */
export function modelChoiceOf(group: Group, defaultModel: string | undefined): ModelChoice {
  return { model: group.model ?? defaultModel, effort: group.effort ?? undefined };
}

/** A group's tools; `turn.through` is how far its session's running turn has read. */
export type ToolsFor = (turn: { readonly through: number }) => Omit<ToolHost, "group">;

export class AgentLauncher {
  private readonly options: LauncherOptions;
  /** The bundled skills as an archive each agent extracts, read once. */
  private skills: Promise<SkillSet | undefined> | undefined;

  constructor(options: LauncherOptions) {
    this.options = options;
  }

  launch(
    group: Group,
    resume: string | undefined,
    events: SessionEvents,
    tools: ToolsFor,
  ): AgentSession {
    const { config, paths, proxy, isolation, logger } = this.options;
    this.skills ??= skillsArchive(this.options.bundledSkillsDir);
    const skills = Promise.all([this.skills, this.options.installedSkills?.(group)]);
    const lease = isolation.acquire(group, async (identity) =>
      prepareGroupFiles(paths, group, identity, config.ASSISTANT_NAME, await skills),
    );
    const cwd = groupDir(paths, group.folder);
    const home = agentHome(paths, group.folder);
    const token = proxy.issueToken(group.id);
    const session: AgentSession = new AgentSession({
      groupId: group.id,
      cwd,
      env: agentEnvironment({
        home,
        proxyUrl: proxy.url,
        sessionToken: token,
        timeZone: config.TZ,
        maxRetries: config.MODEL_MAX_RETRIES,
        runsAsRoot: process.getuid?.() === 0 && !lease.identity,
      }),
      resume,
      // The tools ask the session lazily: it does not exist yet while they are made.
      mcpServer: buildToolServer({
        group,
        ...tools({
          get through() {
            return session.through;
          },
        }),
      }),
      hooks: { PreToolUse: [bashGuardHook([paths.storeDir, adminTokenFile(paths.dataDir)])] },
      choice: modelChoiceOf(group, config.MODEL),
      claudePath: config.CLAUDE_PATH,
      uid: lease.identity?.uid,
      gid: lease.identity?.gid,
      wrapCommand: (command, args) => isolation.command(command, args),
      logger,
      events: {
        ...events,
        onExit: (error) => {
          proxy.revokeToken(token);
          lease.release();
          events.onExit(error);
        },
      },
    });
    session.startAfter(
      lease.ready.then(async () => {
        const [globalMemory, mcp] = await Promise.all([
          readGlobalMemory(paths).catch((error: unknown) => {
            logger.warn(
              { err: (error as Error).message },
              "the shared memory could not be read; sessions start without it",
            );
            return "";
          }),
          this.options.mcpServers?.(group) ?? { servers: {}, notes: [] },
        ]);
        return {
          systemPromptAppend: this.options.systemPrompt(group, globalMemory),
          mcpServers: mcp.servers,
          // A server that is down costs the agent one line, not the session.
          notice: mcp.notes.join("\n") || undefined,
        };
      }),
    );
    return session;
  }
}
