import { test } from "node:test";
import assert from "node:assert/strict";
import { costUsd, modelVersion, ratesFor, UNKNOWN_MODEL_RATES } from "../../src/budget/pricing.ts";

test("model ids of both naming schemes, with dates, suffixes and prefixes, name family and version", () => {
  const cases: [string, string, string][] = [
    ["claude-opus-5-5", "opus", "5.5"],
    ["claude-sonnet-4-5-20250929", "sonnet", "4.5"],
    ["claude-opus-4-20250514", "opus", "4"],
    ["claude-opus-4-1", "opus", "4.1"],
    ["claude-haiku-5-5[1m]", "haiku", "5.5"],
    ["claude-3-5-haiku-20241022", "haiku", "3.5"],
    ["claude-3-7-sonnet-latest", "sonnet", "3.7"],
    ["claude-3-haiku-20240307", "haiku", "3"],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "sonnet", "4.5"],
    ["Claude-Fable-5-1", "fable", "5.1"],
  ];
  for (const [model, family, version] of cases) {
    assert.deepEqual(modelVersion(model), { family, version }, model);
  }
  assert.equal(modelVersion("gpt-4o"), undefined);
  assert.equal(modelVersion("unknown"), undefined);
});

test("each family and version has its own prices", () => {
  assert.deepEqual(ratesFor("claude-opus-5-5"), {
    input: 4,
    output: 20,
    cacheRead: 0.2,
    cacheWrite: 5,
  });
  assert.deepEqual(ratesFor("claude-opus-4-6"), {
    input: 5,
    output: 25,
    cacheRead: 0.5,
    cacheWrite: 6.25,
  });
  assert.deepEqual(ratesFor("claude-opus-4-1-20250805"), {
    input: 15,
    output: 75,
    cacheRead: 1.5,
    cacheWrite: 18.75,
  });
  assert.deepEqual(ratesFor("claude-sonnet-4-6"), {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
  });
  assert.deepEqual(ratesFor("claude-sonnet-5"), {
    input: 2,
    output: 10,
    cacheRead: 0.2,
    cacheWrite: 2.5,
  });
  assert.deepEqual(ratesFor("claude-haiku-4-5-20251001"), {
    input: 1,
    output: 5,
    cacheRead: 0.1,
    cacheWrite: 1.25,
  });
  assert.deepEqual(ratesFor("claude-3-5-haiku-20241022"), {
    input: 0.8,
    output: 4,
    cacheRead: 0.08,
    cacheWrite: 1,
  });
});

test("a model the table does not know costs the most of any, so a cap errs early", () => {
  assert.deepEqual(UNKNOWN_MODEL_RATES, {
    input: 15,
    output: 75,
    cacheRead: 1.5,
    cacheWrite: 18.75,
  });
  for (const model of ["unknown", "claude-opus-9", "claude-sonnet-7-2", "my-gateway-alias"]) {
    assert.deepEqual(ratesFor(model), UNKNOWN_MODEL_RATES, model);
  }
});

test("the cost of a response adds input, output, cache reads and cache writes at their rates", () => {
  const tokens = {
    inputTokens: 1_000_000,
    outputTokens: 100_000,
    cacheReadTokens: 2_000_000,
    cacheWriteTokens: 400_000,
  };
  // Haiku 4.5 at 1 / 5 / 0.10 / 1.25 per million: 1 + 0.5 + 0.2 + 0.5.
  assert.equal(costUsd("claude-haiku-4-5", tokens), 2.2);
  assert.equal(
    costUsd("claude-sonnet-4-6", {
      inputTokens: 12,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    }),
    0.000036,
  );
  assert.equal(
    costUsd("claude-opus-5-5", {
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    }),
    0,
  );
});

test("a long prompt moves the whole request to the long-prompt rates where a model has them", () => {
  const at = (prompt: number) => ({
    inputTokens: prompt - 50_000,
    outputTokens: 1_000_000,
    cacheReadTokens: 50_000,
    cacheWriteTokens: 0,
  });
  // Haiku 5.5: up to 100k prompt tokens (input + cache) $0.50 output, above $2.50.
  assert.equal(ratesFor("claude-haiku-5-5", 100_000).output, 0.5);
  assert.equal(ratesFor("claude-haiku-5-5", 100_001).output, 2.5);
  assert.ok(
    costUsd("claude-haiku-5-5", at(100_001)) > 4 * costUsd("claude-haiku-5-5", at(100_000)),
  );
  assert.equal(ratesFor("claude-sonnet-4-5", 250_000).input, 6);
  assert.equal(ratesFor("claude-sonnet-4-6", 250_000).input, 3);
});
