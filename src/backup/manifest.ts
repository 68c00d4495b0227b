// What a backup archive holds and how it is laid out:
//
//   data/…          DATA_DIR's contents, with store/pincer.db replaced by an online snapshot
//   manifest.json   written last, so an archive cut short has none and is refused
import { z } from "zod";

export const BACKUP_FORMAT = "pincer-backup";
export const BACKUP_VERSION = 1;
export const MANIFEST_PATH = "manifest.json";
export const DATA_PREFIX = "data/";

/** A sortable UTC time for file names: 20250131T235959Z. */
export function compactTimestamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

export function backupFileName(date = new Date()): string {
  return `pincer-backup-${compactTimestamp(date)}.tar.gz`;
}

const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.number().int().positive(),
  createdAt: z.string(),
  schemaVersion: z.number().int().nonnegative(),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative() })),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

export function parseManifest(text: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error("manifest.json is not valid JSON");
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `manifest.json is not a Pincer backup manifest: ${parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "manifest"}: ${issue.message}`)
        .join("; ")}`,
    );
  }
  if (parsed.data.version > BACKUP_VERSION) {
    throw new Error(
      `backup format version ${parsed.data.version} is newer than this Pincer understands (${BACKUP_VERSION}): upgrade Pincer first`,
    );
  }
  return parsed.data;
}
