import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../src/config.ts";

test("SHUTDOWN_GRACE_SECONDS: 20 by default, 0 allowed, anything but whole seconds refused", () => {
  assert.equal(loadConfig({}).SHUTDOWN_GRACE_SECONDS, 20);
  assert.equal(loadConfig({ SHUTDOWN_GRACE_SECONDS: "0" }).SHUTDOWN_GRACE_SECONDS, 0);
  assert.equal(loadConfig({ SHUTDOWN_GRACE_SECONDS: "" }).SHUTDOWN_GRACE_SECONDS, 20);
  for (const bad of ["20s", "-1", "1.5", "3601"]) {
    assert.throws(
      () => loadConfig({ SHUTDOWN_GRACE_SECONDS: bad }),
      (error: unknown) =>
        error instanceof ConfigError && /^ {2}SHUTDOWN_GRACE_SECONDS: /m.test(error.message),
      bad,
    );
  }
});
