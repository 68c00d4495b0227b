// The setup page as the server renders it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setupPage } from "../../../src/web/pages/setup.ts";
import { SETTINGS, type SettingName, type SettingView } from "../../../src/settings/settings.ts";
import type { SetupReport } from "../../../src/web/setup-api.ts";

const PROBLEM = "ANTHROPIC_API_KEY is not set: the assistant cannot reach Claude until it is.";

function report(credential: SetupReport["credential"]): SetupReport {
  return {
    assistantName: "Andy",
    timeZone: "UTC",
    credential,
    channels: [
      {
        name: "telegram",
        status: "not_configured",
        detail: "set TELEGRAM_BOT_TOKEN to connect Telegram",
        since: 0,
        qr: false,
        pairingCode: null,
      },
    ],
    mainChat: { pairingCode: "ABCD1234", pairingExpiresAt: 0, chats: [] },
    isolation: { kind: "directories", detail: "" } as unknown as SetupReport["isolation"],
    warnings: [],
  };
}

const render = (credential: SetupReport["credential"]) =>
  setupPage({ assistantName: "Andy", csrf: "c", timeZone: "UTC" }, report(credential), [], {
    backup: true,
    tokenFromEnvironment: false,
  });

describe("setup page", () => {
  it("says once that the key is missing, even after a verification was tried", () => {
    const html = render({
      present: false,
      problem: PROBLEM,
      check: { ok: false, at: 1, model: "claude-haiku-4-5", error: PROBLEM },
    });
    assert.equal(html.split("ANTHROPIC_API_KEY is not set").length - 1, 1, html);
  });

  it("offers to verify a credential that is present", () => {
    const html = render({ present: true, problem: null, check: null });
    assert.match(html, /id="verify"/);
    assert.match(html, /not verified yet/);
  });

  it("has a form for every setting, the email, Signal and Matrix ones included, and says how to link Signal", () => {
    const settings: SettingView[] = Object.entries(SETTINGS).map(([name, info]) => ({
      name: name as SettingName,
      ...info,
      source: "default",
      value: null,
    }));
    const html = setupPage(
      { assistantName: "Andy", csrf: "c", timeZone: "UTC" },
      report({ present: true, problem: null, check: null }),
      settings,
      { backup: true, tokenFromEnvironment: false },
    );
    for (const { name } of settings)
      assert.match(html, new RegExp(`action="/api/settings/${name}"`), `a form for ${name}`);
    assert.match(html, /signal-cli link -n Pincer/);
    assert.match(html, /type="password"[^>]*>/);
  });
});
