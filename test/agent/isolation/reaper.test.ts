// Stopping every process of an agent's uid, including the case the security review found:
// a process whose leader called pthread_exit() shows as a zombie while its threads run on.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processesOf, stopAllOf } from "../../../src/agent/isolation/reaper.ts";
import { waitFor } from "../../helpers/wait.ts";

const isRoot = process.getuid?.() === 0;

function compiler(): string | undefined {
  for (const cc of ["cc", "gcc"]) {
    try {
      execFileSync(cc, ["--version"], { stdio: "ignore" });
      return cc;
    } catch {
      // try the next
    }
  }
  return undefined;
}

const SURVIVOR = `
#include <pthread.h>
#include <unistd.h>
static void *spin(void *arg) { (void)arg; for (;;) sleep(1); return 0; }
int main(void) {
  pthread_t thread;
  pthread_create(&thread, 0, spin, 0);
  pthread_exit(0);
}
`;

function spareUid(): number {
  return 41_000 + Math.floor(Math.random() * 8_000) * 4;
}

describe(
  "stopping an agent's uid",
  { skip: isRoot ? false : "needs root to run as other uids" },
  () => {
    it("kills every process of the uid, and only those", async () => {
      const uid = spareUid();
      const shell = spawn("/bin/sh", ["-c", "sleep 60 & sleep 60 & wait"], {
        uid,
        gid: uid,
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => shell.on("exit", resolve));
      await waitFor(async () => (await processesOf(uid)).length >= 3, "the shell and its sleeps");
      assert.ok((await processesOf(uid)).length >= 3, "the shell and its two sleeps run");
      assert.ok((await stopAllOf({ uid, gid: uid })) >= 3);
      await exited;
      assert.deepEqual(await processesOf(uid), []);
      assert.ok((await processesOf(0)).includes(process.pid), "the host is untouched");
    });

    it(
      "finds and kills a process whose leader exited while its threads run",
      { skip: compiler() ? false : "needs a C compiler to build the survivor" },
      async (t) => {
        const dir = mkdtempSync(join(tmpdir(), "pincer-survivor-"));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        chmodSync(dir, 0o755);
        writeFileSync(join(dir, "survivor.c"), SURVIVOR);
        execFileSync(compiler()!, [
          "-pthread",
          "-o",
          join(dir, "survivor"),
          join(dir, "survivor.c"),
        ]);
        const uid = spareUid();
        const survivor = spawn(join(dir, "survivor"), [], { uid, gid: uid, stdio: "ignore" });
        const pid = survivor.pid!;
        const exited = new Promise((resolve) => survivor.on("exit", resolve));
        // The leader is a zombie ("Z") while its second thread sleeps on.
        await waitFor(() => {
          const status = execFileSync("cat", [`/proc/${pid}/status`]).toString();
          return /^State:\s+Z/m.test(status);
        }, "the leader to be a zombie");
        assert.deepEqual(
          await processesOf(uid),
          [pid],
          "a zombie leader with a live thread counts",
        );
        await stopAllOf({ uid, gid: uid });
        await exited;
        assert.deepEqual(await processesOf(uid), []);
      },
    );
  },
);
