// The lock file: which skills the owner installed, for which group (or all), where from, and
// the commit (or archive digest) each is pinned at. It lives in the host-only store and is
// replaced whole on every change, so a crash leaves the old list or the new, never half.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeFileAtomic } from "../atomic-file.ts";

const source = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("git"),
    url: z.string(),
    ref: z.string().nullable(),
    subpath: z.string().nullable(),
  }),
  z.object({
    type: z.literal("archive"),
    fileName: z.string().nullable(),
    subpath: z.string().nullable(),
  }),
]);

const installedSkill = z.object({
  name: z.string(),
  description: z.string(),
  /** A group's folder, or null for every group. */
  group: z.string().nullable(),
  source,
  /** The pinned commit of a git source; null for an upload. */
  commit: z.string().nullable(),
  /** SHA-256 of the installed files (paths, kinds and bytes), whatever the source. */
  sha256: z.string(),
  files: z.number(),
  bytes: z.number(),
  installedAt: z.number(),
  updatedAt: z.number(),
});

const lockFile = z.object({ version: z.literal(1), skills: z.array(installedSkill) });

export type InstalledSkill = z.infer<typeof installedSkill>;
export type SkillSource = z.infer<typeof source>;

export async function readLock(file: string): Promise<InstalledSkill[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const parsed = lockFile.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${file} is not a skills lock file Pincer wrote: ${parsed.error.message}`);
  return parsed.data.skills;
}

export async function writeLock(file: string, skills: InstalledSkill[]): Promise<void> {
  const sorted = [...skills].sort((a, b) => a.name.localeCompare(b.name));
  await writeFileAtomic(file, `${JSON.stringify({ version: 1, skills: sorted }, null, 2)}\n`);
}
