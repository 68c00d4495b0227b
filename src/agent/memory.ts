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

// $1 folder, $2 home, $3 CLAUDE.md template, $4 "skills" when the skills are to be brought
// up to date, $5 the names of the skills Pincer installs (a tar of them comes on stdin when
// there are any). A name the agent turned into a link or a
// file where a folder belongs is replaced; an existing CLAUDE.md, whatever it is, is the
// agent's and stays. .pincer-skills remembers what Pincer put into the skills folder, so a
// skill the owner removed goes at the next start (the agent's own skills are left alone).
const PREPARE = `set -e
cd "$1"
if [ ! -e CLAUDE.md ] && [ ! -L CLAUDE.md ]; then printf '%s' "$3" > CLAUDE.md; fi
cd "$2"
for d in .claude .claude/skills tmp; do
  if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then rm -f "$d"; fi
  [ -d "$d" ] || mkdir -m 700 "$d"
done
[ "$4" = skills ] || exit 0
cd .claude/skills
if [ -f .pincer-skills ] && [ ! -L .pincer-skills ]; then
  while IFS= read -r old; do
    case " $5 " in *" $old "*) continue ;; esac
    case "$old" in "" | .* | */*) ;; *) rm -rf -- "$old" ;; esac
  done < .pincer-skills
fi
rm -f .pincer-skills
if [ -n "$5" ]; then
  tar -xmf - --ignore-zeros --no-same-owner --no-same-permissions --recursive-unlink
  printf '%s\\n' $5 > .pincer-skills
fi`;

/** Skills as one tar archive of their folders, and their names. */
export interface SkillSet {
  archive: Buffer;
  names: string[];
}

/** The folders in `dir` (each a skill); none when it does not exist. */
export async function skillFolders(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/**
 * The skill folders `names` of `dir` (by default every folder in it) as a tar archive the
 * agent extracts into its own skills folder, each skill replaced whole, so an upgrade
 * reaches every group. Links are kept as links (checked when the skill was installed).
 */
export async function skillsArchive(dir: string, names?: string[]): Promise<SkillSet | undefined> {
  const chosen = names ?? (await skillFolders(dir));
  if (chosen.length === 0) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ cwd: dir, portable: true, follow: false }, chosen))
    chunks.push(Buffer.from(chunk as Uint8Array));
  return { archive: Buffer.concat(chunks), names: chosen };
}

/** Creates the group's memory file, its home's folders and skills, as the agent. */
export async function prepareGroupFiles(
  paths: Paths,
  group: Group,
  identity: AgentIdentity | undefined,
  assistantName: string,
  /** Absent: the skills folder is left as it is (a task's pre-script needs none). */
  skills?: (SkillSet | undefined)[],
): Promise<void> {
  const sets = (skills ?? []).filter((set) => set !== undefined);
  const result = await runAsAgent(
    identity,
    PREPARE,
    [
      groupDir(paths, group.folder),
      agentHome(paths, group.folder),
      groupTemplate(assistantName, group),
      skills ? "skills" : "",
      sets.flatMap((set) => set.names).join(" "),
    ],
    // One archive after the other: tar reads on past each one's end (--ignore-zeros).
    { input: sets.length > 0 ? Buffer.concat(sets.map((set) => set.archive)) : undefined },
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
