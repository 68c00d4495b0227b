// The atomic on-disk WhatsApp auth state: round trips, deletions, crash leftovers,
// failed writes, coalesced writes, and compatibility with Baileys' own file layout.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { proto, useMultiFileAuthState } from "baileys";
import { useAtomicAuthState } from "../../../src/channels/whatsapp/auth-state.ts";
import { writeFileAtomic } from "../../../src/atomic-file.ts";

let scratch = "";
let counter = 0;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "pincer-whatsapp-auth-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function freshDir(): string {
  return join(scratch, `auth-${++counter}`);
}

describe("useAtomicAuthState", () => {
  it("round-trips creds and keys, Buffers included, across a reopen", async () => {
    const dir = freshDir();
    const first = await useAtomicAuthState(dir);
    const { creds, keys } = first.state;
    creds.me = { id: "15550000000:7@s.whatsapp.net", lid: "888:7@lid", name: "Pincer" };
    creds.registered = true;
    await first.saveCreds();
    await keys.set({
      session: { "15551234567_1.0": new Uint8Array([1, 2, 3]) },
      "pre-key": { "5": { public: new Uint8Array([4, 5]), private: new Uint8Array([6, 7]) } },
      "lid-mapping": { "15551234567": "70000000001" },
      "app-state-sync-key": {
        "AAAA/BBB": { keyData: new Uint8Array([9, 9]), timestamp: 1700000000 },
      },
    });
    await first.flush();

    const second = await useAtomicAuthState(dir);
    const again = second.state.creds;
    assert.deepEqual(again.me, creds.me);
    assert.equal(again.registered, true);
    assert.deepEqual(Buffer.from(again.noiseKey.private), Buffer.from(creds.noiseKey.private));
    assert.deepEqual(
      Buffer.from(again.signedIdentityKey.public),
      Buffer.from(creds.signedIdentityKey.public),
    );
    const sessions = await second.state.keys.get("session", ["15551234567_1.0", "missing"]);
    assert.deepEqual(Buffer.from(sessions["15551234567_1.0"] ?? []), Buffer.from([1, 2, 3]));
    assert.equal(sessions.missing, undefined);
    const preKeys = await second.state.keys.get("pre-key", ["5"]);
    assert.deepEqual(Buffer.from(preKeys["5"]?.private ?? []), Buffer.from([6, 7]));
    const mapping = await second.state.keys.get("lid-mapping", ["15551234567"]);
    assert.equal(mapping["15551234567"], "70000000001");
    const syncKeys = await second.state.keys.get("app-state-sync-key", ["AAAA/BBB"]);
    const syncKey = syncKeys["AAAA/BBB"];
    assert.ok(syncKey instanceof proto.Message.AppStateSyncKeyData);
    assert.deepEqual(Buffer.from(syncKey.keyData ?? []), Buffer.from([9, 9]));

    // Baileys' file naming: "/" → "__", ":" → "-".
    const files = await readdir(dir);
    assert.ok(files.includes("app-state-sync-key-AAAA__BBB.json"), files.join(", "));
    assert.ok(files.includes("session-15551234567_1.0.json"));
  });

  it("deletes a key's file when Baileys sets it to null", async () => {
    const dir = freshDir();
    const auth = await useAtomicAuthState(dir);
    await auth.state.keys.set({
      "pre-key": { "1": { public: Buffer.from([1]), private: Buffer.from([2]) } },
    });
    await auth.state.keys.set({ "pre-key": { "1": null } });
    assert.ok(!(await readdir(dir)).includes("pre-key-1.json"));
    assert.deepEqual(await auth.state.keys.get("pre-key", ["1"]), {});
  });

  it("ignores and removes what a crash mid-write left behind", async () => {
    const dir = freshDir();
    const first = await useAtomicAuthState(dir);
    first.state.creds.registered = true;
    await first.saveCreds();
    await first.flush();
    const intact = await readFile(join(dir, "creds.json"), "utf8");
    // A process killed between writing the temporary file and renaming it.
    await writeFile(join(dir, "creds.json.4242.1.tmp"), intact.slice(0, intact.length / 2));

    const second = await useAtomicAuthState(dir);
    assert.equal(second.state.creds.registered, true);
    assert.deepEqual(await readdir(dir), ["creds.json"]);
  });

  it("coalesces a burst of writes to one file and lets reads see the newest at once", async () => {
    const dir = freshDir();
    const auth = await useAtomicAuthState(dir);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 50; i += 1) {
      auth.state.creds.nextPreKeyId = i;
      writes.push(auth.saveCreds());
      writes.push(auth.state.keys.set({ "lid-mapping": { counter: String(i) } }) as Promise<void>);
    }
    const seen = await auth.state.keys.get("lid-mapping", ["counter"]);
    assert.equal(seen.counter, "49");
    await Promise.all(writes);
    const saved = JSON.parse(await readFile(join(dir, "creds.json"), "utf8")) as {
      nextPreKeyId: number;
    };
    assert.equal(saved.nextPreKeyId, 49);
    assert.equal(await readFile(join(dir, "lid-mapping-counter.json"), "utf8"), '"49"');
    assert.ok(!(await readdir(dir)).some((file) => file.endsWith(".tmp")));
  });

  it("reads a directory written by Baileys' useMultiFileAuthState", async () => {
    const dir = freshDir();
    const baileys = await useMultiFileAuthState(dir);
    baileys.state.creds.me = { id: "15550000000:1@s.whatsapp.net" };
    await baileys.saveCreds();
    await baileys.state.keys.set({ session: { "123_1.0": Buffer.from([7, 7]) } });

    const ours = await useAtomicAuthState(dir);
    assert.equal(ours.state.creds.me?.id, "15550000000:1@s.whatsapp.net");
    const sessions = await ours.state.keys.get("session", ["123_1.0"]);
    assert.deepEqual(Buffer.from(sessions["123_1.0"] ?? []), Buffer.from([7, 7]));
  });
});

describe("writeFileAtomic", () => {
  it("replaces the content whole", async () => {
    const file = join(freshDir() + "-file.json");
    await writeFileAtomic(file, "old");
    await writeFileAtomic(file, "new");
    assert.equal(await readFile(file, "utf8"), "new");
  });

  it("leaves no temporary file and the target untouched when the rename fails", async () => {
    const dir = freshDir();
    const target = join(dir, "creds.json");
    // A non-empty directory in the way makes rename(2) fail after the data was written.
    await mkdir(join(target, "blocker"), { recursive: true });
    await assert.rejects(writeFileAtomic(target, "{}"));
    assert.deepEqual(await readdir(dir), ["creds.json"]);
    assert.deepEqual(await readdir(target), ["blocker"]);
  });
});
