// The re-executed service takes its secrets from the hand-over file, and only from a
// private file of its own user that secret-env wrote: never another path by that name.
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { takeSecretsFromEnvironment } from "../src/secret-env.ts";

function handover(content: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), "pincer-secrets-"));
  const file = join(dir, "secrets.json");
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
  return file;
}

describe("secrets handed over to the re-executed service", () => {
  afterEach(() => delete process.env.PINCER_SECRETS_FILE);

  it("are read from the hand-over file, which is deleted with its directory", () => {
    const file = handover(JSON.stringify({ ANTHROPIC_API_KEY: "sk-ant-handed-over" }));
    process.env.PINCER_SECRETS_FILE = file;
    assert.deepEqual(takeSecretsFromEnvironment(), { ANTHROPIC_API_KEY: "sk-ant-handed-over" });
    assert.equal(existsSync(join(file, "..")), false);
    assert.equal(process.env.PINCER_SECRETS_FILE, undefined);
  });

  it("refuse a path that is not a hand-over file, and leave it alone", () => {
    process.env.PINCER_SECRETS_FILE = "/etc/passwd";
    assert.throws(() => takeSecretsFromEnvironment(), /is not a hand-over file.*unset it/);
    assert.ok(existsSync("/etc/passwd"));
  });

  it("refuse a hand-over file others may read, and leave it alone", () => {
    const file = handover("{}", 0o644);
    process.env.PINCER_SECRETS_FILE = file;
    assert.throws(() => takeSecretsFromEnvironment(), /is not a private file of this user/);
    assert.ok(existsSync(file));
    rmSync(join(file, ".."), { recursive: true });
  });

  it("do not come back into process.env from .env after the restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "pincer-dotenv-"));
    writeFileSync(join(dir, ".env"), "ANTHROPIC_API_KEY=sk-ant-from-dotenv\n");
    process.env.PINCER_SECRETS_FILE = handover(
      JSON.stringify({ ANTHROPIC_API_KEY: "sk-ant-from-dotenv" }),
    );
    try {
      assert.deepEqual(takeSecretsFromEnvironment(join(dir, ".env")), {
        ANTHROPIC_API_KEY: "sk-ant-from-dotenv",
      });
      assert.equal(process.env.ANTHROPIC_API_KEY, undefined);
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
      rmSync(dir, { recursive: true });
    }
  });
});

describe(".env in the working directory", () => {
  it("is read when present; a variable already set wins; a missing file is fine", () => {
    const dir = mkdtempSync(join(tmpdir(), "pincer-dotenv-"));
    writeFileSync(join(dir, ".env"), "PINCER_TEST_A=from-file\nPINCER_TEST_B=from-file\n");
    process.env.PINCER_TEST_B = "from-env";
    try {
      assert.deepEqual(takeSecretsFromEnvironment(join(dir, ".env")), {});
      assert.equal(process.env.PINCER_TEST_A, "from-file");
      assert.equal(process.env.PINCER_TEST_B, "from-env");
      assert.deepEqual(takeSecretsFromEnvironment(join(dir, "missing.env")), {});
    } finally {
      delete process.env.PINCER_TEST_A;
      delete process.env.PINCER_TEST_B;
      rmSync(dir, { recursive: true });
    }
  });
});
