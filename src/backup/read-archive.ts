// Reads a backup archive without extracting it and refuses anything a Pincer backup never
// contains: absolute paths, "..", links, devices, entries outside data/, duplicates, and
// files that the manifest does not account for (or that differ in size from it).
import { list, type ReadEntry } from "tar";
import { relativePathProblem } from "../archive-path.ts";
import { DATABASE_PATH } from "../data-layout.ts";
import { DATA_PREFIX, MANIFEST_PATH, parseManifest, type BackupManifest } from "./manifest.ts";

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export class InvalidBackupError extends Error {
  constructor(archive: string, problems: string[]) {
    const shown = problems.slice(0, 5).join("; ");
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : "";
    super(`${archive} is not a usable Pincer backup: ${shown}${more}`);
    this.name = "InvalidBackupError";
  }
}

/** Why an entry may not be extracted, or undefined when it may. */
export function entryProblem(path: string, type: string): string | undefined {
  const pathProblem = relativePathProblem(path);
  if (pathProblem) return pathProblem;
  if (type !== "File" && type !== "Directory")
    return `${path}: ${type} entries are refused (only files and folders are restored)`;
  if (path === MANIFEST_PATH) return type === "File" ? undefined : `${path}: not a file`;
  if (!path.startsWith(DATA_PREFIX)) return `${path}: outside data/`;
  return undefined;
}

export interface ArchiveContents {
  manifest: BackupManifest;
  /** Data files (relative to DATA_DIR) and their sizes. */
  files: Map<string, number>;
}

export async function readArchive(archive: string): Promise<ArchiveContents> {
  const problems: string[] = [];
  const files = new Map<string, number>();
  const seen = new Set<string>();
  const manifestChunks: Buffer[] = [];
  let manifestBytes = 0;
  const onReadEntry = (entry: ReadEntry) => {
    const path = entry.path;
    const problem = entryProblem(path, entry.type);
    if (problem) return problems.push(problem);
    const key = path.replace(/\/$/, "");
    if (seen.has(key)) return problems.push(`${path}: appears twice`);
    seen.add(key);
    if (path === MANIFEST_PATH) {
      entry.on("data", (chunk: Buffer) => {
        manifestBytes += chunk.length;
        if (manifestBytes <= MAX_MANIFEST_BYTES) manifestChunks.push(chunk);
      });
    } else if (entry.type === "File") {
      files.set(path.slice(DATA_PREFIX.length), entry.size);
    }
  };
  try {
    await list({ file: archive, strict: true, onReadEntry });
  } catch (error) {
    throw new InvalidBackupError(archive, [
      `cannot read it as tar.gz (${error instanceof Error ? error.message : String(error)})`,
    ]);
  }
  if (problems.length > 0) throw new InvalidBackupError(archive, problems);
  if (!seen.has(MANIFEST_PATH))
    throw new InvalidBackupError(archive, [
      "it has no manifest.json (not a Pincer backup, or cut short)",
    ]);
  if (manifestBytes > MAX_MANIFEST_BYTES)
    throw new InvalidBackupError(archive, ["manifest.json is too large"]);
  let manifest: BackupManifest;
  try {
    manifest = parseManifest(Buffer.concat(manifestChunks).toString("utf8"));
  } catch (error) {
    throw new InvalidBackupError(archive, [(error as Error).message]);
  }
  const listed = new Map(manifest.files.map((file) => [file.path, file.size]));
  for (const [path, size] of listed) {
    const actual = files.get(path);
    if (actual === undefined) problems.push(`${path}: in the manifest but not in the archive`);
    else if (actual !== size)
      problems.push(`${path}: ${actual} bytes, but the manifest says ${size}`);
  }
  for (const path of files.keys())
    if (!listed.has(path)) problems.push(`${path}: in the archive but not in the manifest`);
  if (!listed.has(DATABASE_PATH)) problems.push(`it has no ${DATABASE_PATH}`);
  if (problems.length > 0) throw new InvalidBackupError(archive, problems);
  return { manifest, files };
}
