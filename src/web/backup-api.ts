// GET /api/backup: the whole DATA_DIR as one tar.gz, produced while the service runs (the
// store through SQLite's online backup). Auth is the /api/* middleware's.
import { Hono } from "hono";
import type { Db } from "../store/db.ts";
import { backupFileName } from "../backup/manifest.ts";
import { openBackup } from "../backup/write.ts";

export function backupRoutes(options: { db: Db; dataDir: string }) {
  return new Hono().get("/api/backup", async () => {
    const archive = await openBackup({ dataDir: options.dataDir, db: options.db });
    return new Response(archive.stream, {
      headers: {
        "content-type": "application/gzip",
        "content-disposition": `attachment; filename="${backupFileName()}"`,
        "cache-control": "no-store",
      },
    });
  });
}
