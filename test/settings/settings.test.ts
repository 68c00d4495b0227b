// Settings made on the setup page: validated by the config schema, saved 0600 beside the
// store, written into the live config and announced; the environment wins.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../src/config.ts";
import { redactSecrets } from "../../src/log.ts";
import {
  loadWithSettings,
  readSettingsFile,
  Settings,
  SettingError,
  type SettingName,
} from "../../src/settings/settings.ts";

function setUp(t: { after(fn: () => void): void }, environment: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "pincer-settings-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "settings.json");
  const config = loadConfig({ DATA_DIR: dir, ...environment });
  const settings = new Settings({ file, environment, config });
  const changes: SettingName[][] = [];
  settings.on("changed", (names) => changes.push(names));
  return { dir, file, config, settings, changes };
}

test("a pasted token is trimmed, saved 0600, applied to the live config, announced and masked", (t) => {
  const { file, config, settings, changes } = setUp(t);
  const view = settings.set("TELEGRAM_BOT_TOKEN", "  123456:ABCdefGhIJKlmnopQRstuVWxyz \n");
  assert.equal(config.TELEGRAM_BOT_TOKEN, "123456:ABCdefGhIJKlmnopQRstuVWxyz");
  assert.deepEqual(changes, [["TELEGRAM_BOT_TOKEN"]]);
  assert.deepEqual(view, {
    name: "TELEGRAM_BOT_TOKEN",
    label: "Telegram bot token",
    secret: true,
    source: "saved",
    value: "••••Wxyz",
  });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readSettingsFile(file), {
    TELEGRAM_BOT_TOKEN: "123456:ABCdefGhIJKlmnopQRstuVWxyz",
  });
  assert.equal(redactSecrets("token 123456:ABCdefGhIJKlmnopQRstuVWxyz"), "token [redacted]");
});

test("a key set turns the missing-credential problem off; unsetting it turns it on again", (t) => {
  const { config, settings } = setUp(t);
  assert.ok(config.credentialProblem);
  settings.set("ANTHROPIC_API_KEY", "sk-ant-api03-settings-test-key");
  assert.equal(config.credentialProblem, undefined);
  settings.unset("ANTHROPIC_API_KEY");
  assert.equal(config.ANTHROPIC_API_KEY, undefined);
  assert.ok(config.credentialProblem);
});

test("a bad value is refused in words, and nothing is saved or changed", (t) => {
  const { file, config, settings, changes } = setUp(t);
  assert.throws(
    () => settings.set("TZ", "Mars/Olympus"),
    (error: unknown) =>
      error instanceof SettingError &&
      error.status === 400 &&
      /TZ: expected an IANA time zone/.test(error.message),
  );
  assert.throws(
    () => settings.set("MAIN_CHAT", "irc:#crabs"),
    /MAIN_CHAT: expected <channel>:<chat id>/,
  );
  assert.equal(config.TZ, "UTC");
  assert.deepEqual(changes, []);
  assert.deepEqual(readSettingsFile(file), {});
});

test("a variable set in the environment wins and cannot be changed here", (t) => {
  const { config, settings } = setUp(t, { ASSISTANT_NAME: "Crab" });
  assert.equal(settings.view("ASSISTANT_NAME").source, "environment");
  assert.throws(
    () => settings.set("ASSISTANT_NAME", "Lobster"),
    (error: unknown) => error instanceof SettingError && error.status === 409,
  );
  assert.equal(config.ASSISTANT_NAME, "Crab");
});

test("a settings file that is not JSON is reported with its path", (t) => {
  const { file } = setUp(t);
  writeFileSync(file, "{not json");
  assert.throws(
    () => readSettingsFile(file),
    new RegExp(`${file.replaceAll("/", "\\/")} is not valid JSON`),
  );
  assert.equal(readFileSync(file, "utf8"), "{not json");
});

test("the configuration takes a saved setting for what the environment leaves unset", (t) => {
  const { dir, settings } = setUp(t);
  settings.set("ASSISTANT_NAME", "Pinchy");
  settings.set("TZ", "Europe/Berlin");
  const config = loadWithSettings({ DATA_DIR: dir, TZ: "Asia/Tokyo" });
  assert.equal(config.ASSISTANT_NAME, "Pinchy");
  assert.equal(config.TZ, "Asia/Tokyo");
});
