// SIGTERM ends the service even when nobody reads its output any more (a supervisor that
// died, a closed terminal): a failed log write must not stop the shutdown on its way.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { removeDir, startService, tempDir, waitFor } from "./harness.ts";

describe("shutdown", () => {
  it("exits on SIGTERM after its stdout and stderr were closed", async (t) => {
    const dataDir = tempDir();
    const service = await startService({ dataDir });
    t.after(async () => {
      service.child.kill("SIGKILL");
      removeDir(dataDir);
    });
    service.child.stdout!.destroy();
    service.child.stderr!.destroy();
    service.child.kill("SIGTERM");
    // A bound for a broken run: the default grace (SHUTDOWN_GRACE_SECONDS) and clean-up.
    const code = await waitFor(
      () => service.child.exitCode ?? undefined,
      "the service to exit",
      90_000,
    );
    assert.equal(typeof code, "number", "it exited by itself, not by a signal");
  });
});
