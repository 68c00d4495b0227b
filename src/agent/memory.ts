// Group folders and their CLAUDE.md memory files, created from templates on first use.
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
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

export function globalMemoryDir(paths: Paths): string {
  return join(paths.groupsDir, "global");
}

export function globalMemoryFile(paths: Paths): string {
  return join(globalMemoryDir(paths), "CLAUDE.md");
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
  createIfAbsent(file, globalTemplate(assistantName));
}

/** Writes `text` to `file` unless something (a file, or a link an agent made) is there already. */
function createIfAbsent(file: string, text: string): void {
  try {
    writeFileSync(file, text, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** A real directory at `dir`: a symbolic link or file an agent put there is removed first. */
function realDirectory(dir: string): void {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) rmSync(dir, { force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Creates the group's folder, memory file and agent home; returns their paths. */
export function ensureGroupFiles(
  paths: Paths,
  group: Group,
  assistantName: string,
): { cwd: string; home: string } {
  const cwd = groupDir(paths, group.folder);
  const home = agentHome(paths, group.folder);
  mkdirSync(cwd, { recursive: true, mode: 0o700 });
  mkdirSync(home, { recursive: true, mode: 0o700 });
  realDirectory(join(home, ".claude"));
  realDirectory(join(home, "tmp"));
  createIfAbsent(join(cwd, "CLAUDE.md"), groupTemplate(assistantName, group));
  return { cwd, home };
}

/**
 * Copies the skills that ship with Pincer into the agent's user-level skills folder, so an
 * upgrade reaches every group. Each is replaced whole, never written through a link. Only
 * call this while no process of the group's agent runs.
 */
export function installBundledSkills(home: string, bundledSkillsDir: string): void {
  if (!existsSync(bundledSkillsDir)) return;
  const skills = join(home, ".claude", "skills");
  realDirectory(skills);
  for (const entry of readdirSync(bundledSkillsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const target = join(skills, entry.name);
    rmSync(target, { recursive: true, force: true });
    cpSync(join(bundledSkillsDir, entry.name), target, { recursive: true });
  }
}

export function readGlobalMemory(paths: Paths): string {
  try {
    return readFileSync(globalMemoryFile(paths), "utf8");
  } catch {
    return "";
  }
}
