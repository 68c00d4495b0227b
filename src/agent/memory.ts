// Group folders and their CLAUDE.md memory files, created from templates on first use.
import { existsSync, mkdirSync, readFileSync, writeFileSync, cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Group } from "../store/groups.ts";

export interface Paths {
  dataDir: string;
  groupsDir: string;
  agentsDir: string;
  storeDir: string;
}

export function dataPaths(dataDir: string): Paths {
  return {
    dataDir,
    groupsDir: join(dataDir, "groups"),
    agentsDir: join(dataDir, "agents"),
    storeDir: join(dataDir, "store"),
  };
}

export function groupDir(paths: Paths, folder: string): string {
  return join(paths.groupsDir, folder);
}

export function agentHome(paths: Paths, folder: string): string {
  return join(paths.agentsDir, folder);
}

export function globalMemoryFile(paths: Paths): string {
  return join(paths.groupsDir, "global", "CLAUDE.md");
}

function globalTemplate(assistantName: string): string {
  return `# ${assistantName}

You are ${assistantName}, a personal assistant who lives in the owner's chats.

## How to behave
- Be brief: people read you on a phone. Use short paragraphs and lists; Markdown is rendered.
- You remember things by writing them down: keep facts worth keeping in the CLAUDE.md of
  the chat you are in (your working directory).
- Memory shared by every chat lives in this file.
`;
}

function groupTemplate(assistantName: string, group: Group): string {
  return `# ${group.name}

Memory of ${assistantName} for this chat (${group.isMain ? "the owner's main chat" : "a group chat"}).
Add what you learn here: people, preferences, ongoing matters.
`;
}

export function ensureGlobalMemory(paths: Paths, assistantName: string): void {
  const file = globalMemoryFile(paths);
  mkdirSync(join(paths.groupsDir, "global"), { recursive: true });
  if (!existsSync(file)) writeFileSync(file, globalTemplate(assistantName));
}

/** Creates the group's folder, memory file and agent home; returns their paths. */
export function ensureGroupFiles(
  paths: Paths,
  group: Group,
  assistantName: string,
  bundledSkillsDir: string,
): { cwd: string; home: string } {
  const cwd = groupDir(paths, group.folder);
  const home = agentHome(paths, group.folder);
  mkdirSync(cwd, { recursive: true, mode: 0o700 });
  mkdirSync(join(home, ".claude"), { recursive: true, mode: 0o700 });
  const memory = join(cwd, "CLAUDE.md");
  if (!existsSync(memory)) writeFileSync(memory, groupTemplate(assistantName, group));
  // Skills that ship with Pincer are copied into the agent's user-level skills folder at
  // every session start, so an upgrade reaches every group.
  if (existsSync(bundledSkillsDir)) {
    for (const entry of readdirSync(bundledSkillsDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      cpSync(join(bundledSkillsDir, entry.name), join(home, ".claude", "skills", entry.name), {
        recursive: true,
      });
    }
  }
  return { cwd, home };
}

export function readGlobalMemory(paths: Paths): string {
  try {
    return readFileSync(globalMemoryFile(paths), "utf8");
  } catch {
    return "";
  }
}
