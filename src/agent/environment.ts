// The agent's whole environment, built from nothing: the host's own variables (which
// hold the real credentials and channel tokens) never reach an agent.
export interface AgentEnvOptions {
  home: string;
  proxyUrl: string;
  sessionToken: string;
  timeZone: string;
  maxRetries: number;
  /** The CLI refuses bypassPermissions as root unless told it is sandboxed. */
  runsAsRoot: boolean;
}

export function agentEnvironment(options: AgentEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: options.home,
    // A temp folder of its own: the shared /tmp would let agents read each other's files.
    TMPDIR: `${options.home}/tmp`,
    CLAUDE_CONFIG_DIR: `${options.home}/.claude`,
    LANG: process.env.LANG ?? "C.UTF-8",
    TZ: options.timeZone,
    ANTHROPIC_BASE_URL: options.proxyUrl,
    ANTHROPIC_API_KEY: options.sessionToken,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    CLAUDE_CODE_MAX_RETRIES: String(options.maxRetries),
    // Idle/running events mark the end of a turn, including turns that absorbed messages
    // pushed while the agent was busy.
    CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS: "1",
    // Pincer's few tools load up front: deferring them behind ToolSearch costs a model
    // round trip before each tool's first use in a session (see docs/architecture.md).
    ENABLE_TOOL_SEARCH: "false",
  };
  if (options.runsAsRoot) env.IS_SANDBOX = "1";
  return env;
}
