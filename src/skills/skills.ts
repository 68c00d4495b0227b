// The skills the owner installed: from a git repository (pinned at a commit; "update" moves
// the pin) or an uploaded tar.gz, for one group or for all. Each is checked in a host-only
// staging folder (skill-files.ts), kept in DATA_DIR/store/skills/installed/<name>/, listed
// in the lock file, and handed to a group's agent with the bundled skills when it starts
// (agent/memory.ts: the agent extracts them into its own home; the host never writes there).
// Changes run one at a time, so two installs never race over the lock file.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { skillsArchive, type SkillSet } from "../agent/memory.ts";
import {
  installedSkillsDir,
  skillsDir,
  skillsLockFile,
  skillsStagingDir,
  type Paths,
} from "../data-layout.ts";
import type { Logger } from "../log.ts";
import {
  fetchSkill,
  gitSourceProblem,
  localRepositoryProblem,
  type GitSource,
} from "./git-source.ts";
import { readLock, writeLock, type InstalledSkill, type SkillSource } from "./lock.ts";
import { readSkillTar, SkillProblem, writeSkillFiles, type SkillFiles } from "./skill-files.ts";

export type { InstalledSkill } from "./lock.ts";

export interface SkillsOptions {
  paths: Paths;
  /** Names of the bundled skills: an installed skill may not take one. */
  bundledNames(): Promise<string[]>;
  logger: Logger;
}

/** What the files of a skill add up to, whatever their source: the pin of an upload. */
function digest(skill: SkillFiles): string {
  const hash = createHash("sha256");
  for (const entry of [...skill.entries].sort((a, b) => a.path.localeCompare(b.path))) {
    hash.update(`${entry.kind}\0${entry.path}\0`);
    if (entry.kind === "file") hash.update(entry.data);
    if (entry.kind === "link") hash.update(entry.target);
    hash.update("\0");
  }
  return hash.digest("hex");
}

export class Skills {
  private readonly options: SkillsOptions;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SkillsOptions) {
    this.options = options;
  }

  list(): Promise<InstalledSkill[]> {
    return readLock(skillsLockFile(this.options.paths));
  }

  /**
   * Fetches `source` and installs the skill in it, pinned at the commit fetched. `owner`:
   * the owner asked (an agent's request, even once approved, may not name a local path).
   */
  installFromGit(
    source: GitSource,
    group: string | null,
    from: { owner: boolean } = { owner: true },
  ): Promise<InstalledSkill> {
    const problem = gitSourceProblem(source, { ...from, dataDir: this.options.paths.dataDir });
    if (problem) return Promise.reject(new SkillProblem(problem));
    return this.serial(async () => {
      if (/^file:\/\//i.test(source.url)) {
        const local = await localRepositoryProblem(
          decodeURIComponent(source.url.slice("file://".length)),
        );
        if (local) throw new SkillProblem(local);
      }
      const { commit, skill } = await fetchSkill(source, await this.staging());
      return this.place(skill, {
        group,
        source: {
          type: "git",
          url: source.url,
          ref: source.ref ?? null,
          subpath: source.subpath ?? null,
        },
        commit,
        replace: false,
      });
    });
  }

  /** Installs the skill in an uploaded tar(.gz), read as it streams in. */
  installFromArchive(
    input: Readable | AsyncIterable<Uint8Array>,
    options: { fileName: string | null; subpath: string | null; group: string | null },
  ): Promise<InstalledSkill> {
    return this.serial(async () => {
      const skill = await readSkillTar(input, {
        source: options.fileName ? `the archive ${options.fileName}` : "the uploaded archive",
        subpath: options.subpath ?? undefined,
      });
      return this.place(skill, {
        group: options.group,
        source: { type: "archive", fileName: options.fileName, subpath: options.subpath },
        commit: null,
        replace: false,
      });
    });
  }

  /** Fetches a git skill's ref again and moves its pin to the commit it names now. */
  update(name: string): Promise<{ skill: InstalledSkill; previousCommit: string | null }> {
    return this.serial(async () => {
      const current = await this.find(name);
      if (current.source.type !== "git")
        throw new SkillProblem(
          `${name} was uploaded, so there is nothing to update it from: remove it and upload the new version`,
        );
      const { source } = current;
      const { commit, skill } = await fetchSkill(
        { url: source.url, ref: source.ref ?? undefined, subpath: source.subpath ?? undefined },
        await this.staging(),
      );
      if (skill.header.name !== name)
        throw new SkillProblem(
          `${source.url} at ${commit.slice(0, 12)} now holds a skill named "${skill.header.name}", not "${name}": remove ${name} and add it again`,
        );
      const updated = await this.place(skill, {
        group: current.group,
        source,
        commit,
        replace: true,
        installedAt: current.installedAt,
      });
      return { skill: updated, previousCommit: current.commit };
    });
  }

  remove(name: string): Promise<InstalledSkill> {
    return this.serial(async () => {
      const removed = await this.find(name);
      const skills = await this.list();
      await writeLock(
        skillsLockFile(this.options.paths),
        skills.filter((skill) => skill.name !== name),
      );
      await rm(join(installedSkillsDir(this.options.paths), name), {
        recursive: true,
        force: true,
      });
      this.options.logger.info({ skill: name }, "skill removed");
      return removed;
    });
  }

  /** The installed skills a group's agent gets: its own and those for every group. */
  async forGroup(folder: string): Promise<SkillSet | undefined> {
    let installed: InstalledSkill[];
    try {
      installed = await this.list();
    } catch (error) {
      // An unreadable lock file must not keep agents from starting: they start without.
      this.options.logger.error(
        { err: (error as Error).message },
        "the installed skills could not be read; agents start without them",
      );
      return undefined;
    }
    const names = installed
      .filter((skill) => skill.group === null || skill.group === folder)
      .map((skill) => skill.name);
    if (names.length === 0) return { archive: Buffer.alloc(0), names: [] };
    return skillsArchive(installedSkillsDir(this.options.paths), names);
  }

  private async find(name: string): Promise<InstalledSkill> {
    const found = (await this.list()).find((skill) => skill.name === name);
    if (!found) throw new SkillProblem(`no skill named "${name.slice(0, 80)}" is installed`, 404);
    return found;
  }

  private async staging(): Promise<string> {
    const dir = skillsStagingDir(this.options.paths);
    // store/ is root's alone (0700); skills/ and what is in it stay the host's.
    await mkdir(skillsDir(this.options.paths), { recursive: true, mode: 0o700 });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Writes the checked files next to the installed ones, then swaps them in and pins. */
  private async place(
    skill: SkillFiles,
    how: {
      group: string | null;
      source: SkillSource;
      commit: string | null;
      replace: boolean;
      installedAt?: number;
    },
  ): Promise<InstalledSkill> {
    const { paths, logger } = this.options;
    const { name, description } = skill.header;
    if ((await this.options.bundledNames()).includes(name))
      throw new SkillProblem(`"${name}" is the name of a skill that comes with Pincer`, 409);
    const skills = await this.list();
    if (!how.replace && skills.some((installed) => installed.name === name))
      throw new SkillProblem(
        `a skill named "${name}" is already installed: update it, or remove it first`,
        409,
      );
    const staging = await mkdtemp(join(await this.staging(), "new-"));
    const installed = installedSkillsDir(paths);
    try {
      await writeSkillFiles(skill, join(staging, name));
      await mkdir(installed, { recursive: true, mode: 0o755 });
      // The old copy moves aside first, so a folder is never half old and half new.
      await rename(join(installed, name), join(staging, "old")).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        },
      );
      await rename(join(staging, name), join(installed, name));
      const now = Date.now();
      const entry: InstalledSkill = {
        name,
        description,
        group: how.group,
        source: how.source,
        commit: how.commit,
        sha256: digest(skill),
        files: skill.files,
        bytes: skill.bytes,
        installedAt: how.installedAt ?? now,
        updatedAt: now,
      };
      await writeLock(skillsLockFile(paths), [
        ...skills.filter((other) => other.name !== name),
        entry,
      ]);
      logger.info(
        { skill: name, group: how.group ?? "all", commit: how.commit, files: skill.files },
        how.replace ? "skill updated" : "skill installed",
      );
      return entry;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
