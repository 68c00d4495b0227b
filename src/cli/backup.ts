// pincer backup / restore.
import { createWriteStream, existsSync, statSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { backupFileName, type BackupManifest } from "../backup/manifest.ts";
import { InvalidBackupError, readArchive } from "../backup/read-archive.ts";
import { restoreBackup } from "../backup/restore.ts";
import { StoreInUseError } from "../backup/store-lock.ts";
import { writeBackup } from "../backup/write.ts";
import { CliError, UsageError } from "./errors.ts";
import {
  clientFor,
  CONNECTION_OPTIONS,
  dataDirOf,
  parseCommand,
  print,
  printJson,
  type CliIo,
} from "./io.ts";
import { formatBytes } from "./table.ts";

function summary(manifest: BackupManifest): string {
  const bytes = manifest.files.reduce((sum, file) => sum + file.size, 0);
  return `${manifest.files.length} files, ${formatBytes(bytes)} before compression`;
}

/** Downloads GET /api/backup to `output` (or stdout), checking a file before naming it. */
async function download(
  values: { url?: string; token?: string; "data-dir"?: string },
  io: CliIo,
  output: string | undefined,
): Promise<BackupManifest | undefined> {
  const response = await clientFor(values, io).api.backup.$get();
  const body = Readable.fromWeb(response.body!);
  if (output === undefined) {
    await pipeline(body, io.stdout as Writable, { end: false });
    return undefined;
  }
  const partial = `${output}.partial`;
  try {
    await pipeline(body, createWriteStream(partial, { mode: 0o600 }));
    const { manifest } = await readArchive(partial);
    await rename(partial, output);
    return manifest;
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(`the backup download failed: ${(error as Error).message}`);
  }
}

export async function backupCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand("backup", {
    args,
    options: { ...CONNECTION_OPTIONS, output: { type: "string", short: "o" } },
  });
  const toStdout = values.output === "-";
  const output = toStdout ? undefined : resolve(io.cwd, values.output ?? backupFileName());
  if (output && existsSync(output))
    throw new CliError(`${output} already exists: choose another --output`);
  let manifest: BackupManifest | undefined;
  if (values["data-dir"]) {
    const dataDir = dataDirOf(values["data-dir"], io);
    if (toStdout) throw new UsageError("--output - needs the service: drop --data-dir", "backup");
    try {
      manifest = await writeBackup({ dataDir, output: output! });
    } catch (error) {
      throw new CliError(`backup of ${dataDir} failed: ${(error as Error).message}`);
    }
  } else {
    manifest = await download(values, io, output);
  }
  if (!manifest || !output) return;
  if (values.json) return printJson(io, { file: output, manifest });
  print(
    io,
    `Backup written to ${output} (${formatBytes(statSync(output).size)}; ${summary(manifest)}).`,
  );
}

export async function restoreCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommand("restore", {
    args,
    allowPositionals: true,
    options: { "data-dir": { type: "string" }, json: { type: "boolean" } },
  });
  if (positionals.length !== 1)
    throw new UsageError("restore needs exactly one backup FILE", "restore");
  const archive = resolve(io.cwd, positionals[0]!);
  if (!existsSync(archive)) throw new CliError(`no such file: ${archive}`);
  const dataDir = dataDirOf(values["data-dir"], io);
  let result;
  try {
    result = await restoreBackup(archive, dataDir);
  } catch (error) {
    const refused = error instanceof StoreInUseError || error instanceof InvalidBackupError;
    throw new CliError(`restore ${refused ? "refused" : "failed"}: ${(error as Error).message}`);
  }
  if (values.json)
    return printJson(io, { dataDir, previous: result.previous ?? null, manifest: result.manifest });
  const lines = [
    `Restored the backup of ${result.manifest.createdAt} (${summary(result.manifest)}) into ${dataDir}.`,
  ];
  if (result.previous) lines.push(`The data it replaced is kept in ${result.previous}.`);
  lines.push("Start the service again to use it.");
  print(io, lines.join("\n"));
}
