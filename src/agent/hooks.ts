// PreToolUse hook: a Bash command that reaches for other processes' environments or the
// host's private files is denied before it runs. File permissions are the real barrier
// when agents run as their own users; this catches the attempt and tells the model why.
import type { HookCallbackMatcher } from "@anthropic-ai/claude-agent-sdk";

export function bashGuardProblem(command: string, protectedPaths: string[]): string | undefined {
  if (
    /\/proc\/(?!self\/)[^/\s]+\/(environ|mem|maps)\b/.test(command) ||
    /\/proc\/\*\//.test(command)
  ) {
    return "reading other processes' environment or memory is not allowed";
  }
  for (const path of protectedPaths) {
    if (command.includes(path)) return `the host's private data (${path}) is off limits`;
  }
  return undefined;
}

export function bashGuardHook(protectedPaths: string[]): HookCallbackMatcher {
  return {
    matcher: "Bash",
    hooks: [
      async (input) => {
        const command =
          input.hook_event_name === "PreToolUse"
            ? String((input.tool_input as { command?: unknown } | undefined)?.command ?? "")
            : "";
        const problem = bashGuardProblem(command, protectedPaths);
        if (!problem) return {};
        return {
          hookSpecificOutput: {
            hookEventName: "PreToolUse",
            permissionDecision: "deny",
            permissionDecisionReason: `Blocked by Pincer: ${problem}.`,
          },
        };
      },
    ],
  };
}
