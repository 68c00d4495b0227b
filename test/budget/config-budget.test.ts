import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../src/config.ts";

const base = { DATA_DIR: "/tmp/pincer-config-test" };

test("DAILY_BUDGET_USD is an optional positive amount of dollars", () => {
  assert.equal(loadConfig(base).DAILY_BUDGET_USD, undefined);
  assert.equal(loadConfig({ ...base, DAILY_BUDGET_USD: "" }).DAILY_BUDGET_USD, undefined);
  assert.equal(loadConfig({ ...base, DAILY_BUDGET_USD: " 2.50 " }).DAILY_BUDGET_USD, 2.5);
  for (const bad of ["0", "-1", "abc", "Infinity", "5$"]) {
    assert.throws(
      () => loadConfig({ ...base, DAILY_BUDGET_USD: bad }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /DAILY_BUDGET_USD: expected a positive amount of US dollars/.test(error.message),
      bad,
    );
  }
});
