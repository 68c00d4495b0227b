// What the core needs of an agent session: the real one is agent/session.ts (started by
// agent/launch.ts, with the chat tools and the prompt); the in-process tests hand in a fake one.
import type { AgentIsolation } from "../agent/isolation/agent-isolation.ts";
import type { CredentialProxy } from "../agent/credential-proxy.ts";
import { AgentLauncher, type LauncherOptions } from "../agent/launch.ts";
import type { ModelChoice, SessionEvents } from "../agent/session.ts";
import type { AgentTool } from "../agent/tools.ts";
import type { Config } from "../config.ts";
import type { Paths } from "../data-layout.ts";
import type { Logger } from "../log.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import { chatTools, type ChatToolDeps } from "./chat-tools.ts";
import { systemPromptAppend } from "./format.ts";

export interface ConversationSession {
  readonly busy: boolean;
  /** The last chat message pushed to the session. */
  readonly through: number;
  readonly lastActivity: number;
  readonly pid?: number | undefined;
  /** `choice`: the group's model and effort now, taken up when this push starts a turn. */
  push(text: string, through: number, choice?: ModelChoice): void;
  /** Stops the running turn at once (false when none runs); the session stays. */
  interrupt?(): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts an agent session for a group. */
export type StartSession = (
  group: Group,
  resume: string | undefined,
  events: SessionEvents,
) => ConversationSession;

export interface RealSessionOptions {
  config: Config;
  db: Db;
  paths: Paths;
  channels: ChatToolDeps["channels"];
  proxy: CredentialProxy;
  isolation: AgentIsolation;
  bundledSkillsDir: string;
  installedSkills?: LauncherOptions["installedSkills"];
  logger: Logger;
  /** Tools that other features add to every group's agent. */
  extraTools?: ((group: Group) => AgentTool[]) | undefined;
  /** The owner's MCP servers for a group's new session (the MCP feature's). */
  mcpServers?: LauncherOptions["mcpServers"];
}

/** Real agent sessions, with the chat tools (whose replies and questions go to the core) and the prompt. */
export function realSessions(
  options: RealSessionOptions,
  core: Pick<ChatToolDeps, "reply" | "ask">,
): StartSession {
  const { config } = options;
  const launcher = new AgentLauncher({
    config,
    paths: options.paths,
    proxy: options.proxy,
    isolation: options.isolation,
    bundledSkillsDir: options.bundledSkillsDir,
    installedSkills: options.installedSkills,
    logger: options.logger,
    ...(options.mcpServers ? { mcpServers: options.mcpServers } : {}),
    systemPrompt: (group, globalMemory) =>
      systemPromptAppend({
        assistantName: config.ASSISTANT_NAME,
        timeZone: config.TZ,
        isMain: group.isMain,
        globalMemory,
      }),
  });
  const toolDeps = {
    db: options.db,
    paths: options.paths,
    channels: options.channels,
    // Read at each use: the name may be changed on the setup page.
    get assistantName() {
      return config.ASSISTANT_NAME;
    },
    reply: core.reply,
    ask: core.ask,
  };
  return (group, resume, events) =>
    launcher.launch(group, resume, events, (turn) => ({
      ...chatTools(toolDeps, group, turn),
      extraTools: options.extraTools?.(group) ?? [],
    }));
}
