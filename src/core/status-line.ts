// The short line a chat shows while the agent uses a tool ("searching the web…"). It is made
// from the tool's name and at most a file's base name or a site's host name: never a command,
// a query or any other argument, which may hold what the chat should not see.

const MAX_NAME_CHARS = 40;

/** A file's base name, shortened, or undefined when the input has none that is plain. */
function fileName(input: unknown, ...keys: string[]): string | undefined {
  if (!input || typeof input !== "object") return undefined;
  for (const key of keys) {
    const value = (input as Record<string, unknown>)[key];
    if (typeof value !== "string") continue;
    const base = value.split(/[\\/]/).pop()?.trim() ?? "";
    // Only a plain name is shown: no control characters, nothing the chat would format.
    if (!base || /[`*_[\]<>]/.test(base) || [...base].some((c) => c < " ")) return undefined;
    return base.length > MAX_NAME_CHARS ? `${base.slice(0, MAX_NAME_CHARS - 1)}…` : base;
  }
  return undefined;
}

function hostName(input: unknown): string | undefined {
  const url = (input as { url?: unknown } | null)?.url;
  if (typeof url !== "string") return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** The line for a tool call; undefined for tools that talk to the chat themselves. */
export function statusLine(name: string, input: unknown): string | undefined {
  const [prefix, server, ...rest] = name.split("__");
  if (prefix === "mcp" && server && rest.length > 0) {
    const tool = rest.join("__");
    if (server === "pincer") {
      if (tool === "send_message" || tool === "ask_user") return undefined;
      if (tool.startsWith("browser")) return "browsing the web…";
      return "working…";
    }
    return `using ${server}…`;
  }
  switch (name) {
    case "WebSearch":
      return "searching the web…";
    case "WebFetch": {
      const host = hostName(input);
      return host ? `reading ${host}…` : "reading a web page…";
    }
    case "Read": {
      const file = fileName(input, "file_path", "path");
      return file ? `reading ${file}…` : "reading a file…";
    }
    case "Write":
    case "Edit":
    case "MultiEdit":
    case "NotebookEdit": {
      const file = fileName(input, "file_path", "notebook_path", "path");
      return file ? `writing ${file}…` : "writing a file…";
    }
    case "Bash":
      return "running a command…";
    case "Glob":
    case "Grep":
      return "searching files…";
    case "Task":
    case "Agent":
      return "working on a subtask…";
    case "TodoWrite":
      return "planning…";
    case "Skill":
      return "using a skill…";
    default:
      return "working…";
  }
}
