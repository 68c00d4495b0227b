// Isolation as configured: off means no per-group users and nothing taken back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config.ts";
import { dataPaths } from "../../../src/data-layout.ts";
import { createLogger } from "../../../src/log.ts";
import { setUpIsolation } from "../../../src/agent/isolation/setup.ts";
import { openTempStore } from "../../helpers/store.ts";

test("with AGENT_ISOLATION=off the agents run without users of their own", async (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  const config = loadConfig({ DATA_DIR: store.dir, AGENT_ISOLATION: "off" });
  const errors: unknown[] = [];
  const logger = createLogger("silent");
  logger.error = ((...args: unknown[]) => errors.push(args)) as typeof logger.error;
  const isolation = await setUpIsolation({
    config,
    db: store.db,
    paths: dataPaths(store.dir),
    logger,
  });
  assert.equal(isolation.enabled, false);
  // Nothing was looked for to take back: no files reported.
  assert.deepEqual(errors, []);
});
