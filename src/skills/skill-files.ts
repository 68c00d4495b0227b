// Reads a skill out of a tar stream (an upload, or `git archive`) and refuses anything a
// skill folder has no business holding: paths that climb out, links that lead out of the
// folder (followed through other links), hard links, devices and FIFOs, too many or too
// large files, and a missing or incomplete SKILL.md. Limits are checked while the stream
// is read, so an oversized archive is refused part way, never held whole.
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { Parser, type ReadEntry } from "tar";
import { relativePathProblem } from "../archive-path.ts";
import { parseSkillHeader, type SkillHeader } from "./front-matter.ts";

export interface SkillLimits {
  /** Files, folders and links together. */
  maxEntries: number;
  maxFileBytes: number;
  /** All files' bytes together, unpacked. */
  maxTotalBytes: number;
}

export const SKILL_LIMITS: SkillLimits = {
  maxEntries: 1_000,
  maxFileBytes: 5 * 1024 * 1024,
  maxTotalBytes: 20 * 1024 * 1024,
};

/** How deep links may lead through other links before the skill is refused. */
const MAX_LINK_HOPS = 16;
const MAX_PATH_CHARS = 512;

/** A skill that cannot be installed, with the HTTP status that says why. */
export class SkillProblem extends Error {
  /** 413 too large, 409 the name is taken, 404 no such skill, 400 anything else. */
  readonly status: 400 | 404 | 409 | 413;
  constructor(message: string, status: 400 | 404 | 409 | 413 = 400) {
    super(message);
    this.name = "SkillProblem";
    this.status = status;
  }
}

type Entry =
  | { kind: "dir"; path: string }
  | { kind: "file"; path: string; data: Buffer; executable: boolean }
  | { kind: "link"; path: string; target: string };

export interface SkillFiles {
  header: SkillHeader;
  /** Paths relative to the skill's folder. */
  entries: Entry[];
  files: number;
  bytes: number;
}

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

function typeProblem(path: string, type: string): string | undefined {
  if (FILE_TYPES.has(type) || type === "Directory" || type === "SymbolicLink") return undefined;
  if (type === "Link") return `${path}: hard links are refused`;
  if (type === "CharacterDevice" || type === "BlockDevice" || type === "FIFO")
    return `${path}: devices and FIFOs are refused`;
  return `${path}: ${type} entries are refused`;
}

/**
 * Where `path` (inside the skill) leads once every link on the way is followed, or
 * undefined when that leaves the skill's folder (or loops).
 */
function resolveInside(path: string, links: Map<string, string>, hops = 0): string | undefined {
  if (hops > MAX_LINK_HOPS) return undefined;
  const at: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (at.length === 0) return undefined;
      at.pop();
      continue;
    }
    at.push(part);
    const target = links.get(at.join("/"));
    if (target === undefined) continue;
    if (target.startsWith("/")) return undefined;
    const base = at.slice(0, -1).join("/");
    const resolved = resolveInside(base ? `${base}/${target}` : target, links, hops + 1);
    if (resolved === undefined) return undefined;
    at.splice(0, at.length, ...(resolved ? resolved.split("/") : []));
  }
  return at.join("/");
}

/** The folder in the archive that holds the skill: `subpath`, else the top or its one folder. */
function skillRoot(paths: string[], subpath: string | undefined, source: string): string {
  if (subpath !== undefined) {
    if (!paths.includes(`${subpath}/SKILL.md`))
      throw new SkillProblem(`${source} has no SKILL.md in "${subpath}"`);
    return `${subpath}/`;
  }
  if (paths.includes("SKILL.md")) return "";
  const tops = new Set(paths.map((path) => path.split("/")[0]));
  const [top] = tops;
  if (tops.size === 1 && paths.includes(`${top}/SKILL.md`)) return `${top}/`;
  throw new SkillProblem(
    `${source} has no SKILL.md at its top (or in its one top folder): a skill is a folder with a SKILL.md`,
  );
}

/**
 * Reads the tar (gzip-compressed or not) from `input` and returns the skill it holds. Once
 * a limit is passed or the archive is unreadable, reading stops (the input's iterator is
 * closed) and only then does this reject.
 */
export async function readSkillTar(
  input: Readable | AsyncIterable<Uint8Array>,
  options: { source: string; subpath?: string | undefined; limits?: SkillLimits },
): Promise<SkillFiles> {
  const limits = options.limits ?? SKILL_LIMITS;
  const { source } = options;
  const raw: Entry[] = [];
  const problems: string[] = [];
  let total = 0;
  let tooLarge: SkillProblem | undefined;
  const overLimit = (message: string) => (tooLarge ??= new SkillProblem(message, 413));

  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const path = entry.path.replace(/^(?:\.\/)+/, "").replace(/\/$/, "");
      // Every entry's size counts, refused ones too: none is unpacked for nothing.
      total += entry.size ?? 0;
      if (entry.size > limits.maxFileBytes)
        overLimit(`${path} is larger than ${limits.maxFileBytes / 1024 / 1024} MB`);
      if (total > limits.maxTotalBytes)
        overLimit(`${source} holds more than ${limits.maxTotalBytes / 1024 / 1024} MB`);
      if (path === "" || path === ".") return entry.resume();
      const problem =
        (path.length > MAX_PATH_CHARS ? `${path.slice(0, 80)}…: path too long` : undefined) ??
        relativePathProblem(path) ??
        typeProblem(path, entry.type);
      if (problem || tooLarge) {
        if (problem) problems.push(problem);
        return entry.resume();
      }
      if (raw.length >= limits.maxEntries) {
        overLimit(`${source} has more than ${limits.maxEntries} files and folders`);
        return entry.resume();
      }
      // Every entry is read to its end, or the parser waits for it forever.
      if (entry.type === "Directory") {
        raw.push({ kind: "dir", path });
        entry.resume();
      } else if (entry.type === "SymbolicLink") {
        raw.push({ kind: "link", path, target: entry.linkpath ?? "" });
        entry.resume();
      } else {
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => {
          if (!tooLarge) chunks.push(chunk);
        });
        entry.on("end", () =>
          raw.push({
            kind: "file",
            path,
            data: Buffer.concat(chunks),
            executable: ((entry.mode ?? 0) & 0o111) !== 0,
          }),
        );
      }
    },
  });

  // Failures are noted and acted on once the input is no longer being read, so the
  // caller may read the rest of it (e.g. to drop a refused upload) as soon as this rejects.
  let unreadable: SkillProblem | undefined;
  parser.on("error", (error: Error) => {
    unreadable ??= /decompression ratio/.test(error.message)
      ? new SkillProblem(`${source} expands more than 1000 times its size: refused`, 413)
      : new SkillProblem(`${source} is not a readable tar.gz archive (${error.message})`);
  });
  const parsed = new Promise<void>((resolve) => {
    parser.on("end", resolve);
    parser.on("error", () => resolve());
  });
  try {
    for await (const chunk of input) {
      if (tooLarge || unreadable) break;
      parser.write(Buffer.from(chunk));
    }
  } catch (error) {
    throw error instanceof SkillProblem
      ? error
      : new SkillProblem(`${source} could not be read: ${(error as Error).message}`);
  }
  if (!tooLarge && !unreadable) {
    parser.end();
    await parsed;
  }
  if (unreadable) throw unreadable;
  if (tooLarge) throw tooLarge;
  if (problems.length > 0)
    throw new SkillProblem(
      `${source} was refused: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""}`,
    );
  if (raw.length === 0) throw new SkillProblem(`${source} is empty`);

  const subpath = options.subpath?.replace(/^\/+|\/+$/g, "") || undefined;
  const root = skillRoot(
    raw.map((entry) => entry.path),
    subpath,
    source,
  );
  const entries = raw
    .filter((entry) => entry.path.startsWith(root) && entry.path !== root.slice(0, -1))
    .map((entry) => ({ ...entry, path: entry.path.slice(root.length) }));
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.path)) throw new SkillProblem(`${source}: ${entry.path} appears twice`);
    seen.add(entry.path);
  }
  const links = new Map(
    entries.flatMap((entry) => (entry.kind === "link" ? [[entry.path, entry.target]] : [])),
  );
  for (const [path, target] of links) {
    if (target === "" || resolveInside(path, links) === undefined)
      throw new SkillProblem(
        `${source} was refused: ${path} links to "${target}", outside the skill's folder`,
      );
  }
  const skillMd = entries.find((entry) => entry.path === "SKILL.md");
  if (skillMd?.kind !== "file") throw new SkillProblem(`${source}: SKILL.md is not a plain file`);
  let header: SkillHeader;
  try {
    header = parseSkillHeader(skillMd.data.toString("utf8"));
  } catch (error) {
    throw new SkillProblem(`${source}: ${(error as Error).message}`);
  }
  const files = entries.filter((entry) => entry.kind === "file");
  return {
    header,
    entries,
    files: files.length,
    bytes: files.reduce((sum, entry) => sum + entry.data.length, 0),
  };
}

/**
 * Writes the skill into `dir`, a fresh folder only the host can write. Links come last,
 * so no file is ever written through one; a path that is both a link and a folder is refused.
 */
export async function writeSkillFiles(skill: SkillFiles, dir: string): Promise<void> {
  const ordered = [...skill.entries].sort(
    (a, b) => Number(a.kind === "link") - Number(b.kind === "link"),
  );
  for (const entry of ordered) {
    const target = join(dir, ...entry.path.split("/"));
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    if (entry.kind === "dir") await mkdir(target, { recursive: true, mode: 0o755 });
    else if (entry.kind === "file")
      await writeFile(target, entry.data, { flag: "wx", mode: entry.executable ? 0o755 : 0o644 });
    else
      await symlink(entry.target, target).catch((error: NodeJS.ErrnoException) => {
        throw error.code === "EEXIST"
          ? new SkillProblem(`${entry.path} is both a link and a folder or file`)
          : error;
      });
  }
}

/** A relative folder inside a repository or archive, checked like an archive's entries. */
export function subpathProblem(subpath: string): string | undefined {
  const trimmed = subpath.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return undefined;
  const problem = relativePathProblem(trimmed);
  return problem && `subpath ${problem}`;
}
