// One warm Claude Code process for one group, driven by the Agent SDK's query() with
// streaming input. The host pushes batches of chat messages in; the session reports the
// assistant's text as it arrives and, when the CLI goes idle, how far into the chat the
// finished turns have read. That "read through" mark is what lets the core move the
// group's watermark only after a turn's replies are safe in the outbox.
import { randomUUID } from "node:crypto";
import { spawn } from "node:child_process";
import type {
  McpSdkServerConfigWithInstance,
  Query,
  SDKMessage,
  SDKUserMessage,
  SpawnedProcess,
  SpawnOptions,
  HookCallbackMatcher,
} from "@anthropic-ai/claude-agent-sdk";
import { query } from "./sdk.ts";
import type { Logger } from "../log.ts";
import type { Effort } from "../store/groups.ts";

/** Claude Code tools that mislead a chat agent: session-only timers, agent teams, worktrees. */
export const DISALLOWED_TOOLS = [
  "CronCreate",
  "CronDelete",
  "CronList",
  "ScheduleWakeup",
  "SendMessage",
  "EnterWorktree",
  "ExitWorktree",
];

export interface SessionEvents {
  /** An assistant text block of a top-level turn. `through` is the last chat message it had read. */
  onText(text: string, through: number): void;
  /**
   * A piece of the text block being written (the model's stream). The whole block follows as
   * onText; a new block's deltas follow the end of the previous one. Asked for only when set.
   */
  onDelta?(text: string, through: number): void;
  onToolUse(name: string, input: unknown): void;
  /** The CLI has answered everything it has read, up to `through`. */
  onIdle(through: number): void;
  /** The model call failed for good (after the CLI's own retries). */
  onModelError(kind: string, detail: string, through: number): void;
  onSessionId(sessionId: string): void;
  /** The process ended; `error` is set when it was not asked to. */
  onExit(error: Error | undefined): void;
}

export interface SessionOptions {
  groupId: number;
  cwd: string;
  env: Record<string, string>;
  resume: string | undefined;
  mcpServer: McpSdkServerConfigWithInstance;
  hooks: Partial<Record<"PreToolUse", HookCallbackMatcher[]>>;
  /** What it starts with; a push may change it for the turns after. */
  choice: ModelChoice;
  claudePath: string | undefined;
  /** Run the CLI as this user (per-group isolation); undefined = as the host. */
  uid: number | undefined;
  gid: number | undefined;
  /** Puts the CLI's command under resource limits (prlimit) when isolation is on. */
  wrapCommand(command: string, args: string[]): { command: string; args: string[] };
  logger: Logger;
  events: SessionEvents;
}

/** The model and reasoning effort a session asks for; undefined = the CLI's default. */
export interface ModelChoice {
  model: string | undefined;
  effort: Effort | undefined;
}

/** What a session starts with once its group is ready. */
export interface SessionStart {
  systemPromptAppend: string;
  /** The owner's MCP servers for this group, as in-process servers the host forwards for. */
  mcpServers: Record<string, McpSdkServerConfigWithInstance>;
  /**
   * Said to the agent before the first message it reads (e.g. an MCP server that is down).
   * Not in the system prompt: a resumed session keeps the system prompt it began with.
   */
  notice?: string | undefined;
}

export class StaleSessionError extends Error {}

/** How much of a process's last stderr output is kept, for the log when it fails. */
const STDERR_TAIL_CHARS = 2_000;

export class AgentSession {
  readonly groupId: number;
  private readonly options: SessionOptions;
  /** Messages not yet read by the CLI, each with the model choice to switch to first. */
  private readonly inbox: { message: SDKUserMessage; switchTo: ModelChoice | undefined }[] = [];
  /** The choice the session has (or will have once the inbox's switches are made). */
  private choice: ModelChoice;
  private wakeInput: (() => void) | undefined;
  private closed = false;
  private readonly throughByUuid = new Map<string, number>();
  private pushedThrough = 0;
  private readThrough = 0;
  private reportedThrough = 0;
  private running: Query | undefined;
  private child: SpawnedProcess | undefined;
  private stderrTail = "";
  private notice: string | undefined;
  /** Set by interrupt(): what the stopped turn still says is dropped until its result. */
  private interrupted = false;
  lastActivity = Date.now();

  constructor(options: SessionOptions) {
    this.groupId = options.groupId;
    this.options = options;
    this.choice = options.choice;
  }

  get pid(): number | undefined {
    return (this.child as { pid?: number } | undefined)?.pid;
  }

  /** True while some pushed message has not been answered yet. */
  get busy(): boolean {
    return this.pushedThrough > this.reportedThrough;
  }

  get through(): number {
    return this.pushedThrough;
  }

  /**
   * Starts the agent once `ready` gives the text appended to its system prompt and its
   * MCP servers (the group's files are prepared meanwhile); if that fails, the session ends
   * as a failed start.
   */
  startAfter(ready: Promise<SessionStart>): void {
    ready.then(
      (start) => {
        if (this.closed) this.options.events.onExit(undefined);
        else this.start(start);
      },
      (error: unknown) => {
        this.closed = true;
        this.options.events.onExit(
          this.failed(`the agent could not start: ${(error as Error).message}`),
        );
      },
    );
  }

  private start({ systemPromptAppend, mcpServers, notice }: SessionStart): void {
    const { options } = this;
    this.notice = notice;
    this.running = query({
      prompt: this.input(),
      options: {
        cwd: options.cwd,
        env: options.env,
        resume: options.resume,
        model: options.choice.model,
        effort: options.choice.effort,
        permissionMode: "bypassPermissions",
        allowDangerouslySkipPermissions: true,
        disallowedTools: DISALLOWED_TOOLS,
        mcpServers: { ...mcpServers, pincer: options.mcpServer },
        settingSources: ["user", "project"],
        systemPrompt: { type: "preset", preset: "claude_code", append: systemPromptAppend },
        hooks: options.hooks,
        pathToClaudeCodeExecutable: options.claudePath,
        // The CLI echoes each user message when a turn takes it in; that echo is how
        // we know which chat messages a finished turn has covered.
        extraArgs: { "replay-user-messages": null },
        // stream_event messages: the text as the model writes it, for live previews.
        includePartialMessages: options.events.onDelta !== undefined,
        // Our own spawn: the SDK reads no stderr then, spawnProcess keeps its tail.
        spawnClaudeCodeProcess: (spawnOptions) => this.spawnProcess(spawnOptions),
      },
    });
    void this.consume(this.running);
  }

  /**
   * Feeds a batch of chat messages (already formatted) to the agent. A `choice` other than
   * the session's takes effect when this batch starts a turn; a batch joining a running
   * turn leaves that turn on its model, and the next turn switches.
   */
  push(text: string, through: number, choice?: ModelChoice): void {
    if (this.closed) throw new Error("session is closed");
    const switchTo =
      choice &&
      !this.busy &&
      (choice.model !== this.choice.model || choice.effort !== this.choice.effort)
        ? choice
        : undefined;
    if (switchTo) this.choice = switchTo;
    const uuid = randomUUID();
    this.throughByUuid.set(uuid, through);
    this.pushedThrough = Math.max(this.pushedThrough, through);
    this.lastActivity = Date.now();
    this.inbox.push({
      message: {
        type: "user",
        uuid,
        session_id: "",
        parent_tool_use_id: null,
        message: { role: "user", content: text },
      },
      switchTo,
    });
    this.wakeInput?.();
  }

  /**
   * Stops the running turn now (the SDK's interrupt); the session stays, and a message pushed
   * after this starts a new turn. False when no turn was running.
   */
  async interrupt(): Promise<boolean> {
    if (!this.busy || !this.running) return false;
    this.interrupted = true;
    await this.running.interrupt();
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeInput?.();
    this.running?.close();
  }

  private async *input(): AsyncGenerator<SDKUserMessage> {
    while (!this.closed) {
      const next = this.inbox.shift();
      if (next) {
        // The switch is made before the CLI reads the message, so the turn it starts uses it.
        if (next.switchTo) await this.switchTo(next.switchTo);
        if (this.notice) {
          next.message.message.content = `${this.notice}\n\n${next.message.message.content as string}`;
          this.notice = undefined;
        }
        yield next.message;
        continue;
      }
      await new Promise<void>((resolve) => (this.wakeInput = resolve));
      this.wakeInput = undefined;
    }
  }

  private async switchTo(choice: ModelChoice): Promise<void> {
    const running = this.running;
    if (!running) return;
    try {
      await running.setModel(choice.model);
      // null clears the session's level: the model's own default applies again.
      await running.applyFlagSettings({ effortLevel: choice.effort ?? null });
      this.options.logger.info(
        {
          group: this.groupId,
          model: choice.model ?? "default",
          effort: choice.effort ?? "default",
        },
        "agent model changed",
      );
    } catch (error) {
      this.options.logger.warn(
        { group: this.groupId, err: (error as Error).message },
        "the agent's model or effort could not be changed; it keeps the previous one",
      );
    }
  }

  private spawnProcess(spawnOptions: SpawnOptions): SpawnedProcess {
    const { command, args } = this.options.wrapCommand(spawnOptions.command, spawnOptions.args);
    const child = spawn(command, args, {
      cwd: spawnOptions.cwd,
      // The SDK merges process.env into what it passes; the agent gets only what we chose.
      env: this.options.env,
      stdio: ["pipe", "pipe", "pipe"],
      uid: this.options.uid,
      gid: this.options.gid,
      signal: spawnOptions.signal,
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
      this.options.logger.debug({ group: this.groupId, stderr: text.trimEnd() }, "agent stderr");
    });
    child.on("error", () => {
      // surfaced through the SDK's own error path
    });
    this.child = child;
    return child;
  }

  private async consume(messages: Query): Promise<void> {
    const { events } = this.options;
    try {
      for await (const message of messages) {
        this.lastActivity = Date.now();
        this.handle(message);
      }
      events.onExit(this.closed ? undefined : this.failed("the agent process ended unexpectedly"));
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (/No conversation found with session ID/i.test(text)) {
        events.onExit(new StaleSessionError(text));
      } else {
        events.onExit(this.closed ? undefined : this.failed(text));
      }
    } finally {
      this.closed = true;
    }
  }

  /**
   * Logs a failed process with the tail of its stderr, where the cause usually is (debug
   * lines alone hide it), and returns the error with the cause's last line in its message.
   */
  private failed(what: string): Error {
    const tail = this.stderrTail.trim();
    this.options.logger.error(
      { group: this.groupId, err: what, stderr: tail || undefined },
      "agent process failed",
    );
    const cause = tail.split("\n").at(-1)?.trim().slice(0, 300);
    return new Error(cause ? `${what}: ${cause}` : what);
  }

  private reportRead(): void {
    if (this.readThrough <= this.reportedThrough) return;
    this.reportedThrough = this.readThrough;
    this.options.events.onIdle(this.readThrough);
  }

  private handle(message: SDKMessage): void {
    const { events } = this.options;
    switch (message.type) {
      case "system":
        if (message.subtype === "init") events.onSessionId(message.session_id);
        if (message.subtype === "session_state_changed" && message.state === "idle")
          this.reportRead();
        return;
      case "result":
        this.interrupted = false;
        // A result after which nothing pushed is still unread ends the last turn; it comes
        // a moment before the idle event, which matters when the service is stopping.
        if (this.readThrough === this.pushedThrough) this.reportRead();
        return;
      case "user":
        if ("isReplay" in message && message.isReplay && message.uuid) {
          const through = this.throughByUuid.get(message.uuid);
          if (through !== undefined) {
            this.throughByUuid.delete(message.uuid);
            this.readThrough = Math.max(this.readThrough, through);
          }
        }
        return;
      case "stream_event": {
        if (message.parent_tool_use_id || this.interrupted) return;
        const event = message.event;
        if (event.type === "content_block_delta" && event.delta.type === "text_delta")
          events.onDelta?.(event.delta.text, this.readThrough);
        return;
      }
      case "assistant": {
        if (message.parent_tool_use_id || this.interrupted) return;
        if (message.error) {
          const detail = message.message.content
            .map((block) => (block.type === "text" ? block.text : ""))
            .join("");
          events.onModelError(message.error, detail, this.readThrough);
          return;
        }
        for (const block of message.message.content) {
          if (block.type === "text" && block.text.trim())
            events.onText(block.text, this.readThrough);
          if (block.type === "tool_use") events.onToolUse(block.name, block.input);
        }
        return;
      }
      default:
        return;
    }
  }
}
