// WhatsApp's link (identity keys, Signal sessions, pre-keys, LID mappings) kept in one
// directory in the layout of Baileys' useMultiFileAuthState: creds.json plus one
// "<type>-<id>.json" per key, Buffers encoded with BufferJSON. Unlike that helper, every
// write is atomic (see atomic-file.ts), so a crash mid-write cannot leave a truncated file
// that would break the link. Writes to one file are serialised and coalesced: while a
// write is in flight only the newest pending value is kept, and reads see it at once.
import { mkdir, readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from "baileys";
import { TEMP_SUFFIX, writeFileAtomic } from "../../atomic-file.ts";

const CREDS_FILE = "creds.json";

export interface AtomicAuthState {
  state: AuthenticationState;
  /** Persists the current creds object (Baileys mutates it in place before "creds.update"). */
  saveCreds(): Promise<void>;
  /** Resolves once everything written so far is on disk. */
  flush(): Promise<void>;
}

/** What a file should become: JSON text, or null for "deleted". */
type Pending = string | null;

function fileNameFor(type: string, id: string): string {
  // The same escaping as Baileys, so a directory it wrote can be used as is.
  return `${type}-${id}.json`.replace(/\//g, "__").replace(/:/g, "-");
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}

class FileQueue {
  private readonly dir: string;
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The value a read must see: a pending write wins over the disk. */
  async read(file: string): Promise<string | null> {
    const pending = this.pending.get(file);
    if (pending !== undefined) return pending;
    try {
      return await readFile(join(this.dir, file), "utf8");
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  write(file: string, content: Pending): Promise<void> {
    this.pending.set(file, content);
    const current = this.running.get(file);
    if (current) return current;
    const run = this.drain(file).finally(() => this.running.delete(file));
    this.running.set(file, run);
    return run;
  }

  async flush(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private async drain(file: string): Promise<void> {
    const path = join(this.dir, file);
    let failure: unknown = null;
    for (;;) {
      const content = this.pending.get(file);
      if (content === undefined) break;
      try {
        if (content === null) await unlink(path).catch(ignoreMissing);
        else await writeFileAtomic(path, content);
        // A newer value on disk supersedes one that failed to get there.
        failure = null;
      } catch (error) {
        failure = error;
      } finally {
        // A newer value that arrived during the write stays pending for the next round.
        if (this.pending.get(file) === content) this.pending.delete(file);
      }
    }
    if (failure !== null) throw failure;
  }
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}

function parse<T>(text: string, file: string): T {
  try {
    return JSON.parse(text, BufferJSON.reviver) as T;
  } catch (error) {
    throw new Error(`WhatsApp auth file ${file} is not valid JSON`, { cause: error });
  }
}

async function removeStaleTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.endsWith(TEMP_SUFFIX)) await rm(join(dir, name), { force: true });
  }
}

export async function useAtomicAuthState(dir: string): Promise<AtomicAuthState> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await removeStaleTempFiles(dir);
  const files = new FileQueue(dir);
  const serialize = (value: unknown): string => JSON.stringify(value, BufferJSON.replacer);

  const stored = await files.read(CREDS_FILE);
  const creds: AuthenticationCreds =
    stored === null ? initAuthCreds() : parse<AuthenticationCreds>(stored, CREDS_FILE);

  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const result: { [id: string]: SignalDataTypeMap[T] } = {};
      await Promise.all(
        ids.map(async (id) => {
          const file = fileNameFor(type, id);
          const text = await files.read(file);
          if (text === null) return;
          let value = parse<SignalDataTypeMap[T]>(text, file);
          if (type === "app-state-sync-key") {
            value = proto.Message.AppStateSyncKeyData.fromObject(
              value as object,
            ) as unknown as SignalDataTypeMap[T];
          }
          result[id] = value;
        }),
      );
      return result;
    },
    async set(data: SignalDataSet) {
      const writes: Promise<void>[] = [];
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          writes.push(files.write(fileNameFor(type, id), value ? serialize(value) : null));
        }
      }
      await Promise.all(writes);
    },
  };

  return {
    state: { creds, keys },
    saveCreds: () => files.write(CREDS_FILE, serialize(creds)),
    flush: () => files.flush(),
  };
}
