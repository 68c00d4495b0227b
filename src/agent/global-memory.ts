// The memory every chat shares. Its file belongs to the service, not to any agent: every
// session's prompt includes it, so an agent able to replace it (with a link to the host's
// environment or the admin token, say) would have the host read secrets into a prompt.
// The owner edits it on the admin page; the main chat's agent edits it with a tool.
import { mkdir } from "node:fs/promises";
import { z } from "zod";
import { tool } from "./sdk.ts";
import type { Group } from "../store/groups.ts";
import { readTreeFile, writeTreeFile } from "./isolation/tree-fs.ts";
import { globalMemoryDir, type Paths } from "../data-layout.ts";
import type { AgentTool } from "./tools.ts";

export const MEMORY_FILE = "CLAUDE.md";
/** Longest memory file the host reads or writes (characters of the admin editor's limit, in UTF-8). */
export const MAX_MEMORY_BYTES = 800_000;

function globalTemplate(assistantName: string): string {
  return `# ${assistantName}

You are ${assistantName}, a personal assistant who lives in the owner's chats.

## How to behave
- Be brief: people read you on a phone. Use short paragraphs and lists; Markdown is rendered.
- You remember things by writing them down: keep facts worth keeping in the CLAUDE.md of
  the chat you are in (your working directory).
- Memory shared by every chat lives here; the main chat changes it with its
  update_shared_memory tool.
`;
}

/** Creates the shared memory from its template unless it exists (host-owned, readable by all). */
export async function ensureGlobalMemory(paths: Paths, assistantName: string): Promise<void> {
  await mkdir(globalMemoryDir(paths), { recursive: true, mode: 0o755 });
  try {
    await writeTreeFile(globalMemoryDir(paths), MEMORY_FILE, globalTemplate(assistantName), {
      exclusive: true,
      mode: 0o644,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** The shared memory's text; empty when it is missing or not a plain file (said in the log by the caller). */
export async function readGlobalMemory(paths: Paths): Promise<string> {
  const file = await readTreeFile(globalMemoryDir(paths), MEMORY_FILE, MAX_MEMORY_BYTES);
  return file?.data.toString("utf8") ?? "";
}

export async function writeGlobalMemory(paths: Paths, content: string): Promise<void> {
  await writeTreeFile(globalMemoryDir(paths), MEMORY_FILE, content, {
    exclusive: false,
    mode: 0o644,
  });
}

/** The main chat's tool for the shared memory (other chats only read it in their prompt). */
export function globalMemoryTools(group: Group, paths: Paths): AgentTool[] {
  if (!group.isMain) return [];
  return [
    tool(
      "update_shared_memory",
      "Replace the memory shared by every chat (shown to all chats' agents at the start of each session) with new Markdown. Keep what is still true; it is read whole every time.",
      {
        content: z
          .string()
          .max(MAX_MEMORY_BYTES / 4)
          .describe("The whole new shared memory, Markdown"),
      },
      async ({ content }) => {
        await writeGlobalMemory(paths, content);
        return { content: [{ type: "text", text: "Shared memory updated." }] };
      },
    ),
  ];
}
