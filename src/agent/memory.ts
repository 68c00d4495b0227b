// Group folders and their CLAUDE.md memory files, created from templates on first use.
// A group's folder and home belong to its agent, so what goes into them is created by the
// agent's own user (a short child process), never by the host walking paths the agent
// could have swapped for links.
import { readdir } from "node:fs/promises";
import { create as createTar } from "tar";
import type { Group } from "../store/groups.ts";
import { agentHome, groupDir, type Paths } from "../data-layout.ts";
import { runAsAgent, type AgentIdentity } from "./isolation/as-agent.ts";

function groupTemplate(assistantName: string, group: Group): string {
  return `# ${group.name}

Memory of ${assistantName} for this chat (${group.isMain ? "the owner's main chat" : "a group chat"}).
Add what you learn here: people, preferences, ongoing matters.
`;
}

// $1 folder, $2 home, $3 CLAUDE.md template, $4 "skills" when a tar of them comes on stdin.
// A name the agent turned into a link or a file where a folder belongs is replaced; an
// existing CLAUDE.md, whatever it is, is the agent's and stays.
const PREPARE = `set -e
cd "$1"
if [ ! -e CLAUDE.md ] && [ ! -L CLAUDE.md ]; then printf '%s' "$3" > CLAUDE.md; fi
cd "$2"
for d in .claude .claude/skills tmp; do
  if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then rm -f "$d"; fi
  [ -d "$d" ] || mkdir -m 700 "$d"
done
if [ "$4" = skills ]; then
  cd .claude/skills
  tar -xmf - --no-same-owner --no-same-permissions --recursive-unlink
fi`;

/**
 * The bundled skills as a tar archive, read once: the agent extracts it into its own
 * skills folder, each skill replaced whole, so an upgrade reaches every group.
 */
export async function bundledSkillsArchive(dir: string): Promise<Buffer | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ cwd: dir, portable: true, follow: false }, names))
    chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Creates the group's memory file, its home's folders and skills, as the agent. */
export async function prepareGroupFiles(
  paths: Paths,
  group: Group,
  identity: AgentIdentity | undefined,
  assistantName: string,
  skills?: Buffer | undefined,
): Promise<void> {
  const result = await runAsAgent(
    identity,
    PREPARE,
    [
      groupDir(paths, group.folder),
      agentHome(paths, group.folder),
      groupTemplate(assistantName, group),
      skills ? "skills" : "",
    ],
    { input: skills },
  );
  if (result.code !== 0)
    throw new Error(
      `could not prepare the files of ${group.folder} (exit ${result.code}): ${result.stderr.trim()}`,
    );
}

/** Creates folders in the agent's home (e.g. the browser's profile), as the agent. */
export async function prepareHomeDirs(
  paths: Paths,
  group: Group,
  identity: AgentIdentity | undefined,
  names: string[],
): Promise<void> {
  const result = await runAsAgent(
    identity,
    'cd "$1" && shift && for d in "$@"; do [ -L "$d" ] && rm -f "$d"; [ -d "$d" ] || mkdir -m 700 "$d"; done',
    [agentHome(paths, group.folder), ...names],
  );
  if (result.code !== 0)
    throw new Error(`could not prepare ${names.join(", ")} for ${group.folder}: ${result.stderr}`);
}
