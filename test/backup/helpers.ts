// Data directories with real SQLite stores, and hand-made archives for the refusal tests.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Header, Pack, ReadEntry } from "tar";
import { openDb } from "../../src/store/db.ts";
import { insertInbound } from "../../src/store/messages.ts";

export function tempDir(
  t: { after(fn: () => void): void },
  prefix = "pincer-backup-test-",
): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A small DATA_DIR: a store with messages, group memory, channel auth state, the token. */
export function makeDataDir(dir: string, messages = 3): void {
  mkdirSync(join(dir, "groups", "global"), { recursive: true });
  mkdirSync(join(dir, "groups", "main", "files"), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, "agents", "main", ".claude"), { recursive: true });
  mkdirSync(join(dir, "store", "channels", "whatsapp"), { recursive: true });
  writeFileSync(join(dir, "groups", "global", "CLAUDE.md"), "# Shared memory\n");
  writeFileSync(join(dir, "groups", "main", "CLAUDE.md"), "# Main\nThe owner likes tea.\n");
  writeFileSync(join(dir, "groups", "main", "files", "notes.bin"), Buffer.alloc(70_000, 7));
  writeFileSync(join(dir, "agents", "main", ".claude", "transcript.jsonl"), '{"turn":1}\n');
  writeFileSync(join(dir, "store", "channels", "whatsapp", "creds.json"), '{"me":"x"}');
  writeFileSync(join(dir, "admin-token"), "admin-token-for-tests-0000\n", { mode: 0o600 });
  const db = openDb(join(dir, "store", "pincer.db"));
  for (let i = 1; i <= messages; i++) addMessage(db, `message ${i}`);
  db.close();
}

export function addMessage(db: ReturnType<typeof openDb>, text: string): void {
  insertInbound(db, {
    channel: "web",
    chatId: "main",
    platformId: `p-${text}`,
    senderId: "owner",
    senderName: "Owner",
    text,
    timestamp: Date.now(),
  });
}

export function messageTexts(dataDir: string): string[] {
  const db = openDb(join(dataDir, "store", "pincer.db"));
  try {
    return (db.prepare("SELECT text FROM messages ORDER BY id").all() as { text: string }[]).map(
      (row) => row.text,
    );
  } finally {
    db.close();
  }
}

/** Every regular file under dir (relative path → contents), for before/after comparisons. */
export function snapshotFiles(dir: string, skip: (path: string) => boolean = () => false) {
  const out = new Map<string, string>();
  const visit = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (skip(path)) continue;
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile()) out.set(path, readFileSync(join(dir, path)).toString("base64"));
    }
  };
  visit("");
  return out;
}

export interface CraftedEntry {
  path: string;
  type?: "File" | "Directory" | "SymbolicLink" | "Link" | "FIFO";
  body?: string;
  linkpath?: string;
}

/** Writes a tar.gz with exactly these entries, whatever they are. */
export async function craftArchive(file: string, entries: CraftedEntry[]): Promise<void> {
  const pack = new Pack({ gzip: true, preservePaths: true });
  const done = pipeline(Readable.from(pack), createWriteStream(file));
  for (const item of entries) {
    const body = Buffer.from(item.body ?? "");
    const type = item.type ?? "File";
    const entry = new ReadEntry(
      new Header({
        path: item.path,
        type,
        size: type === "File" ? body.length : 0,
        mode: type === "Directory" ? 0o755 : 0o644,
        mtime: new Date(),
        linkpath: item.linkpath,
      }),
    );
    pack.write(entry);
    if (type === "File") entry.write(body);
    entry.end();
  }
  pack.end();
  await done;
}

export function manifestFor(files: Record<string, string>): string {
  return JSON.stringify({
    format: "pincer-backup",
    version: 1,
    createdAt: new Date().toISOString(),
    schemaVersion: 3,
    files: Object.entries(files).map(([path, body]) => ({ path, size: Buffer.byteLength(body) })),
    skipped: [],
  });
}
