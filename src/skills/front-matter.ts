// A skill's SKILL.md: YAML front matter between two "---" lines naming the skill and saying
// what it is for, then the instructions. Claude Code lists the skill by these two fields, so
// a skill without them is refused here rather than silently ignored by the agent.
import { parse } from "yaml";

/** Claude Code's rule for skill names: lower-case letters, digits and hyphens, up to 64. */
const SKILL_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_NAME = 64;
const MAX_DESCRIPTION = 1024;

export interface SkillHeader {
  name: string;
  description: string;
}

export function skillNameProblem(name: string): string | undefined {
  if (name.length > MAX_NAME || !SKILL_NAME.test(name))
    return `skill name "${name.slice(0, 80)}" is not allowed: use up to ${MAX_NAME} lower-case letters, digits and single hyphens`;
  return undefined;
}

/** The name and description of a SKILL.md, or an Error that says what is missing. */
export function parseSkillHeader(text: string): SkillHeader {
  const match = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\r?(?:\n|$)/.exec(text);
  if (!match)
    throw new Error(
      'SKILL.md has no front matter: it must start with a "---" line, then "name:" and "description:", then "---"',
    );
  let fields: unknown;
  try {
    fields = parse(match[1]!);
  } catch (error) {
    throw new Error(`SKILL.md front matter is not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof fields !== "object" || fields === null || Array.isArray(fields))
    throw new Error("SKILL.md front matter must be a list of fields (name:, description:)");
  const { name, description } = fields as Record<string, unknown>;
  if (typeof name !== "string" || name.trim() === "")
    throw new Error('SKILL.md front matter has no "name"');
  const problem = skillNameProblem(name.trim());
  if (problem) throw new Error(`SKILL.md: ${problem}`);
  if (typeof description !== "string" || description.trim() === "")
    throw new Error('SKILL.md front matter has no "description"');
  if (description.length > MAX_DESCRIPTION)
    throw new Error(`SKILL.md description is longer than ${MAX_DESCRIPTION} characters`);
  return { name: name.trim(), description: description.trim() };
}
