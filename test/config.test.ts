import { test } from "node:test";
import assert from "node:assert/strict";
import { accessSync, constants, existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, loadConfig } from "../src/config.ts";

const KEY = { ANTHROPIC_API_KEY: "sk-ant-test-key" };

function configError(variable: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, new RegExp(`^  ${variable}: `, "m"));
    return true;
  };
}

function writableDataRoot(): boolean {
  try {
    if (!existsSync("/data")) return false;
    accessSync("/data", constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

test("defaults for an empty environment", () => {
  const config = loadConfig({ ...KEY });
  assert.equal(config.ASSISTANT_NAME, "Andy");
  assert.equal(config.TZ, "UTC");
  assert.equal(config.PORT, 3000);
  assert.equal(config.HOST, "0.0.0.0");
  assert.equal(config.MAX_CONCURRENT_AGENTS, 4);
  assert.equal(config.AGENT_IDLE_TIMEOUT, 30 * 60_000);
  assert.equal(config.LOG_LEVEL, "info");
  assert.equal(config.ADMIN_TOKEN, undefined);
  assert.equal(config.ANTHROPIC_BASE_URL, undefined);
  assert.equal(config.credentialProblem, undefined);
  assert.deepEqual(config.warnings, []);
});

test("valid values are parsed into their types", () => {
  const config = loadConfig({
    ...KEY,
    ASSISTANT_NAME: "Clawd",
    TZ: "Europe/Berlin",
    PORT: "8080",
    MAX_CONCURRENT_AGENTS: "64",
    AGENT_IDLE_TIMEOUT: "90s",
    ANTHROPIC_BASE_URL: "http://127.0.0.1:9999/",
    ADMIN_TOKEN: "0123456789abcdef",
    LOG_LEVEL: "debug",
  });
  assert.equal(config.ASSISTANT_NAME, "Clawd");
  assert.equal(config.TZ, "Europe/Berlin");
  assert.equal(config.PORT, 8080);
  assert.equal(config.MAX_CONCURRENT_AGENTS, 64);
  assert.equal(config.AGENT_IDLE_TIMEOUT, 90_000);
  assert.equal(config.ANTHROPIC_BASE_URL, "http://127.0.0.1:9999");
  assert.equal(config.ADMIN_TOKEN, "0123456789abcdef");
  assert.equal(config.LOG_LEVEL, "debug");
});

test("each invalid value is a ConfigError naming its variable", () => {
  const cases: [string, string][] = [
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PORT", "-1"],
    ["PORT", "80.5"],
    ["MAX_CONCURRENT_AGENTS", "0"],
    ["MAX_CONCURRENT_AGENTS", "65"],
    ["MAX_CONCURRENT_AGENTS", "many"],
    ["TZ", "Mars/Olympus_Mons"],
    ["ASSISTANT_NAME", "@Andy"],
    ["ASSISTANT_NAME", "x".repeat(33)],
    ["ANTHROPIC_BASE_URL", "not a url"],
    ["ANTHROPIC_BASE_URL", "ftp://127.0.0.1/"],
    ["AGENT_IDLE_TIMEOUT", "soon"],
    ["ADMIN_TOKEN", "short"],
    ["LOG_LEVEL", "loud"],
    ["TRUST_PROXY", "yes"],
    ["TRUST_PROXY", "11"],
    ["MODEL_MAX_RETRIES", "11"],
    ["MAX_MESSAGE_CHARS", "99"],
  ];
  for (const [variable, value] of cases) {
    assert.throws(
      () => loadConfig({ ...KEY, [variable]: value }),
      configError(variable),
      `${variable}=${value}`,
    );
  }
});

test("several invalid values are all named in one error", () => {
  assert.throws(
    () => loadConfig({ ...KEY, PORT: "x", TZ: "Nowhere/Land" }),
    (error: unknown) => configError("PORT")(error) && configError("TZ")(error),
  );
});

test("CLAUDE_CODE_OAUTH_TOKEN gives a warning and is not a credential", () => {
  const config = loadConfig({ CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-subscription" });
  assert.equal(config.warnings.length, 1);
  assert.match(config.warnings[0]!, /CLAUDE_CODE_OAUTH_TOKEN is set but ignored/);
  assert.match(config.credentialProblem ?? "", /ANTHROPIC_API_KEY is not set/);
  const withKey = loadConfig({ ...KEY, CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-subscription" });
  assert.equal(withKey.credentialProblem, undefined);
  assert.equal(withKey.warnings.length, 1);
});

test("credentialProblem is set without a key and cleared by either credential", () => {
  assert.match(loadConfig({}).credentialProblem ?? "", /ANTHROPIC_API_KEY is not set/);
  assert.match(loadConfig({ ANTHROPIC_API_KEY: "   " }).credentialProblem ?? "", /not set/);
  assert.equal(loadConfig({ ANTHROPIC_AUTH_TOKEN: "gateway-token" }).credentialProblem, undefined);
  assert.equal(loadConfig({ ANTHROPIC_API_KEY: " sk-ant-x " }).ANTHROPIC_API_KEY, "sk-ant-x");
});

test("DATA_DIR is resolved to an absolute path, defaulting to /data or ./data", () => {
  assert.equal(loadConfig({ ...KEY, DATA_DIR: "/srv/pincer" }).DATA_DIR, "/srv/pincer");
  assert.equal(loadConfig({ ...KEY, DATA_DIR: "state/here" }).DATA_DIR, resolve("state/here"));
  const fallback = writableDataRoot() ? "/data" : resolve("data");
  assert.equal(loadConfig({ ...KEY }).DATA_DIR, fallback);
  assert.equal(loadConfig({ ...KEY, DATA_DIR: "  " }).DATA_DIR, fallback);
});

test("TRUST_PROXY is the number of proxies that append to X-Forwarded-For", () => {
  assert.equal(loadConfig({ ...KEY }).TRUST_PROXY, 0);
  assert.equal(loadConfig({ ...KEY, TRUST_PROXY: "" }).TRUST_PROXY, 0);
  assert.equal(loadConfig({ ...KEY, TRUST_PROXY: "false" }).TRUST_PROXY, 0);
  assert.equal(loadConfig({ ...KEY, TRUST_PROXY: "true" }).TRUST_PROXY, 1);
  assert.equal(loadConfig({ ...KEY, TRUST_PROXY: "2" }).TRUST_PROXY, 2);
});

test("the per-chat disk quota and attachment retention default to 1 GB and 90 days; 0 turns them off", () => {
  const defaults = loadConfig({ ...KEY });
  assert.equal(defaults.GROUP_DISK_QUOTA_MB, 1024);
  assert.equal(defaults.ATTACHMENT_RETENTION_DAYS, 90);
  const off = loadConfig({ ...KEY, GROUP_DISK_QUOTA_MB: "0", ATTACHMENT_RETENTION_DAYS: "0" });
  assert.equal(off.GROUP_DISK_QUOTA_MB, 0);
  assert.equal(off.ATTACHMENT_RETENTION_DAYS, 0);
  assert.throws(
    () => loadConfig({ ...KEY, ATTACHMENT_RETENTION_DAYS: "a week" }),
    /ATTACHMENT_RETENTION_DAYS: expected a whole number from 0 to 36500/,
  );
});

// A bug found in review, pinned by a test that failed before its fix.
test("an empty PORT means the default and a zero idle timeout is refused", () => {
  assert.equal(loadConfig({ PORT: "" }).PORT, 3000);
  assert.throws(() => loadConfig({ PORT: "0x1F90" }), /PORT/);
  assert.throws(() => loadConfig({ AGENT_IDLE_TIMEOUT: "0s" }), /AGENT_IDLE_TIMEOUT/);
});

test("email, Signal and Matrix settings are read and checked", () => {
  const config = loadConfig({
    ...KEY,
    SIGNAL_CLI_URL: "http://signal-cli:8080/",
    SIGNAL_ACCOUNT: "+1 (555) 123-4567",
    MATRIX_ALLOWED_INVITERS: "@you:matrix.org, @partner:example.org",
    EMAIL_OWNER: "you@gmail.com,you@work.example",
  });
  assert.equal(config.SIGNAL_CLI_URL, "http://signal-cli:8080");
  assert.equal(config.SIGNAL_ACCOUNT, "+15551234567");
  assert.deepEqual(config.MATRIX_ALLOWED_INVITERS, ["@you:matrix.org", "@partner:example.org"]);
  assert.deepEqual(config.EMAIL_OWNER, ["you@gmail.com", "you@work.example"]);
  assert.equal(config.EMAIL_IMAP_PORT, 993);
  assert.equal(config.EMAIL_SMTP_PORT, 465);
  assert.equal(config.EMAIL_FOLDER, "INBOX");
  assert.equal(config.EMAIL_TRUST_UNSIGNED, false);
  assert.deepEqual(loadConfig({ ...KEY }).MATRIX_ALLOWED_INVITERS, []);
  assert.throws(() => loadConfig({ ...KEY, SIGNAL_ACCOUNT: "12" }), configError("SIGNAL_ACCOUNT"));
  assert.throws(
    () => loadConfig({ ...KEY, MATRIX_ALLOWED_INVITERS: "you" }),
    configError("MATRIX_ALLOWED_INVITERS"),
  );
  assert.throws(
    () => loadConfig({ ...KEY, EMAIL_OWNER: "not an address" }),
    configError("EMAIL_OWNER"),
  );
  assert.match(
    loadConfig({ ...KEY, EMAIL_IMAP_HOST: "imap.gmail.com" }).warnings.join("\n"),
    /EMAIL_SMTP_HOST, EMAIL_USER or EMAIL_PASSWORD/,
  );
});
