// PreToolUse hook: a Bash command that reaches for other processes' environments or the
// host's private files is denied before it runs. File permissions are the real barrier
// when agents run as their own users; this catches the attempt and tells the model why.
import type { HookCallbackMatcher } from "@anthropic-ai/claude-agent-sdk";

/** Collapses "//" and "/./" so that spelling a path differently does not slip past a match. */
function normalizePaths(command: string): string {
  let out = command.replace(/\/{2,}/g, "/");
  while (out.includes("/./")) out = out.replace("/./", "/");
  return out;
}

// BSD-style `ps e…` (no dash) prints each process's environment.
const PS_WITH_ENVIRONMENT = /(?:^|[\s;&|(])ps\s+(?:-\S*\s+)*[a-z]*e[a-z]*(?:\s|$)/i;

export function bashGuardProblem(command: string, protectedPaths: string[]): string | undefined {
  const normalized = normalizePaths(command);
  const withoutSelf = normalized.replace(/\/proc\/self\/(environ|maps)\b/g, "");
  const namesOthers = /\b(environ|mem|maps)\b/.test(withoutSelf) || /\/proc\/\*/.test(withoutSelf);
  if (/\/proc\b/.test(withoutSelf) && namesOthers) {
    return "reading other processes' environment or memory is not allowed";
  }
  if (PS_WITH_ENVIRONMENT.test(normalized))
    return "listing other processes' environments is not allowed";
  for (const path of protectedPaths) {
    if (normalized.includes(normalizePaths(path)))
      return `the host's private data (${path}) is off limits`;
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
