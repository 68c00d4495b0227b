// The MCP tools an agent gets, built once per group: every handler is closed over its
// group, so a tool can only act for the group it was made for (main may reach others).
import {
  createSdkMcpServer,
  tool,
  type McpSdkServerConfigWithInstance,
} from "@anthropic-ai/claude-agent-sdk";
import { z } from "zod";
import type { Group } from "../store/groups.ts";

/** A tool of any input shape, as the SDK's server takes them (its own element type). */
export type AgentTool = NonNullable<Parameters<typeof createSdkMcpServer>[0]["tools"]>[number];

export interface ToolResult {
  text: string;
  isError: boolean;
}

/** What the tools may do, provided by the core for one group. */
export interface ToolHost {
  group: Group;
  sendMessage(targetFolder: string | undefined, text: string): ToolResult;
  listGroups(): ToolResult;
  registerGroup(args: RegisterGroupArgs): ToolResult;
  searchHistory(query: string, limit: number): ToolResult;
  /**
   * Asks the chat and waits for a choice, an answer in words, or "no answer"; `signal`
   * ends the wait when the call is cancelled or its session goes.
   */
  askUser(question: string, choices: string[], signal?: AbortSignal): Promise<ToolResult>;
  /** Further tools contributed by other features (scheduling, files, browser). */
  extraTools: AgentTool[];
}

export const registerGroupShape = {
  chat: z
    .string()
    .describe(
      "The chat to register, as '<channel>:<chat id>' from list_groups, e.g. telegram:-100123",
    ),
  folder: z
    .string()
    .optional()
    .describe(
      "Folder name for the group's memory and files (lower-case letters, digits, '-', '_')",
    ),
  name: z.string().max(100).optional().describe("Display name; defaults to the chat's name"),
  trigger: z
    .string()
    .max(64)
    .optional()
    .describe("Word that makes the assistant answer, default @<assistant name>"),
  requires_trigger: z
    .boolean()
    .optional()
    .describe("false = answer every message (sensible for direct messages); default true"),
};

export type RegisterGroupArgs = {
  chat: string;
  folder?: string | undefined;
  name?: string | undefined;
  trigger?: string | undefined;
  requires_trigger?: boolean | undefined;
};

function reply(result: ToolResult) {
  return { content: [{ type: "text" as const, text: result.text }], isError: result.isError };
}

/** The MCP request's abort signal (cancelled by the CLI, or its connection closed). */
function abortSignalOf(extra: unknown): AbortSignal | undefined {
  const signal = (extra as { signal?: unknown } | undefined)?.signal;
  return signal instanceof AbortSignal ? signal : undefined;
}

function mainOnly(host: ToolHost, run: () => ToolResult): ToolResult {
  if (!host.group.isMain) return { text: "Only the main (admin) chat can do this.", isError: true };
  return run();
}

export function buildToolServer(host: ToolHost): McpSdkServerConfigWithInstance {
  const tools: AgentTool[] = [
    tool(
      "send_message",
      host.group.isMain
        ? "Send a message to this chat right away (for progress updates during long work), or to another registered group by its folder name."
        : "Send a message to this chat right away, e.g. a progress update during long work.",
      {
        text: z.string().min(1).max(20_000).describe("Markdown text to send"),
        ...(host.group.isMain
          ? { target_group: z.string().optional().describe("Folder of another registered group") }
          : {}),
      },
      async (args) =>
        reply(host.sendMessage((args as { target_group?: string }).target_group, args.text)),
    ),
    tool(
      "search_history",
      "Full-text search over this chat's stored messages (both directions), to recall what was said before.",
      {
        query: z.string().min(1).max(500).describe("Words to look for"),
        limit: z.number().int().min(1).max(50).optional().describe("How many matches, default 10"),
      },
      async (args) => reply(host.searchHistory(args.query, args.limit ?? 10)),
    ),
    tool(
      "ask_user",
      "Ask this chat a question with 2 to 5 short choices and wait for the answer. The choices are shown as buttons (as a numbered list where the chat has none); the result says which was chosen, what someone wrote instead, or that nobody answered in time. Use it when you need a decision to go on; for an open question just write it.",
      {
        question: z.string().describe("The question, in one or two sentences"),
        // Counts and lengths are checked by askUser, whose refusals say what to change.
        choices: z
          .array(z.string())
          .describe("2 to 5 choices, each at most 50 characters, e.g. ['Tuesday', 'Friday']"),
      },
      async (args, extra) =>
        reply(await host.askUser(args.question, args.choices, abortSignalOf(extra))),
    ),
    ...(host.group.isMain
      ? [
          tool(
            "list_groups",
            "List the chats the assistant knows: registered groups and discovered chats that could be registered.",
            {},
            async () => reply(mainOnly(host, () => host.listGroups())),
          ),
          tool(
            "register_group",
            "Register a discovered chat so the assistant works there, with its own memory and folder.",
            registerGroupShape,
            async (args) => reply(mainOnly(host, () => host.registerGroup(args))),
          ),
        ]
      : []),
    ...host.extraTools,
  ];
  return createSdkMcpServer({ name: "pincer", version: "1.0.0", tools });
}
