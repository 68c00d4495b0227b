// Setting up from the browser alone: the key and a channel token pasted through
// /api/settings take effect without a restart, a wrong key is refused before it is saved,
// and a changed token ends the old connection.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { startAnthropicFake, type AnthropicFake } from "../fakes/anthropic/server.ts";
import { startMatrixFake, type MatrixFake } from "../fakes/matrix/server.ts";
import { startTelegramFake, type TelegramFake } from "../fakes/telegram/server.ts";
import {
  api,
  channelState,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const GOOD_KEY = "sk-ant-api03-settings-e2e-good-key";
const OWNER = { id: 4242, first_name: "Olivia" };

function longPollOpen(telegram: TelegramFake): boolean {
  const last = telegram.calls.findLast((call) => call.method === "getUpdates");
  return last !== undefined && last.status === undefined && Number(last.params.timeout) > 0;
}

describe("settings from the browser", () => {
  // One service for the cases below, in the order written: each builds on the settings the
  // one before it saved (the key, then the Telegram token, then a changed token).
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let matrix: MatrixFake;
  let service: Service;

  const put = (name: string, value: string) =>
    api(service, `/api/settings/${name}`, { method: "PUT", body: JSON.stringify({ value }) });

  before(async () => {
    model = await startAnthropicFake(undefined, { acceptKeys: [GOOD_KEY] });
    telegram = await startTelegramFake();
    matrix = await startMatrixFake();
    service = await startService({
      dataDir,
      env: { ANTHROPIC_BASE_URL: model.url, TELEGRAM_API_ROOT: telegram.apiRoot },
    });
  });

  after(async () => {
    await service?.stop();
    await telegram?.close();
    await matrix?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("refuses a key the model API rejects, saving nothing, then takes a good one at once", async () => {
    const refused = await put("ANTHROPIC_API_KEY", "sk-ant-api03-a-typo");
    assert.equal(refused.status, 422);
    const { error } = (await refused.json()) as { error: string };
    assert.match(error, /not saved: the model API did not accept it \(401 authentication_error/);
    assert.doesNotMatch(error, /a-typo/);
    const listed = (await (await api(service, "/api/settings")).json()) as {
      settings: { name: string; source: string; value: string | null }[];
    };
    assert.deepEqual(
      listed.settings.find((setting) => setting.name === "ANTHROPIC_API_KEY"),
      {
        name: "ANTHROPIC_API_KEY",
        label: "Anthropic API key",
        secret: true,
        source: "default",
        value: null,
      },
    );

    const saved = await put("ANTHROPIC_API_KEY", ` ${GOOD_KEY}\n`);
    assert.equal(saved.status, 200, await saved.clone().text());
    const body = (await saved.json()) as { setting: { value: string }; check: { ok: boolean } };
    assert.equal(body.check.ok, true);
    assert.equal(body.setting.value, `••••${GOOD_KEY.slice(-4)}`);
    const file = join(dataDir, "settings.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(file, "utf8")).ANTHROPIC_API_KEY, GOOD_KEY);
    assert.doesNotMatch(service.output(), new RegExp(GOOD_KEY));

    // The next turn uses it, without a restart.
    const sse = listen(service, 0);
    await sse.ready;
    await sendChat(service, "hello after the key");
    const reply = await waitFor(() => sse.messages()[0], "the first reply");
    await sse.close();
    assert.match(reply.text, /hello after the key/);
    assert.equal(model.mainRequests().at(-1)?.headers["x-api-key"], GOOD_KEY);
  });

  it("connects Telegram when its token is pasted, and answers there", async () => {
    assert.equal((await channelState(service, "telegram"))?.status, "not_configured");
    const pasted = await put("TELEGRAM_BOT_TOKEN", `  ${telegram.token}  `);
    assert.equal(pasted.status, 200, await pasted.clone().text());
    await waitFor(
      async () => (await channelState(service, "telegram"))?.status === "connected" || undefined,
      "Telegram connected",
    );
    const main = await put("MAIN_CHAT", `telegram:${OWNER.id}`);
    assert.equal(main.status, 200, await main.clone().text());
    telegram.injectMessage({ chatId: OWNER.id, from: OWNER, text: "hi from telegram" });
    await waitFor(
      () => telegram.sent.find((message) => message.text?.includes("hi from telegram")),
      "the answer on Telegram",
    );
  });

  it("ends the old connection when the token changes", async () => {
    await waitFor(() => longPollOpen(telegram) || undefined, "the long poll of the first token");
    const changed = await put("TELEGRAM_BOT_TOKEN", "999999:AAnotTheTokenTheFakeKnows_0000000000");
    assert.equal(changed.status, 200);
    const state = await waitFor(async () => {
      const current = await channelState(service, "telegram");
      return current?.status === "auth_failed" ? current : undefined;
    }, "Telegram refusing the new token");
    assert.match(state.detail ?? "", /rejected the bot token/);
    assert.equal(longPollOpen(telegram), false, "the first token's long poll was ended");
  });

  it("connects Matrix once its homeserver and token are saved", async () => {
    assert.equal((await put("MATRIX_HOMESERVER_URL", matrix.baseUrl)).status, 200);
    assert.equal((await channelState(service, "matrix"))?.status, "not_configured");
    const token = await put("MATRIX_ACCESS_TOKEN", matrix.accessToken);
    assert.equal(token.status, 200, await token.clone().text());
    assert.match(((await token.json()) as { setting: { value: string } }).setting.value, /^••••/);
    await waitFor(
      async () => (await channelState(service, "matrix"))?.status === "connected" || undefined,
      "Matrix connected",
    );
    const badUrl = await put("SIGNAL_CLI_URL", "signal-cli:8080");
    assert.equal(badUrl.status, 400);
    assert.match(((await badUrl.json()) as { error: string }).error, /SIGNAL_CLI_URL/);
  });

  it("refuses a setting the environment holds, and an unknown one, naming the problem", async () => {
    const fromEnv = await put("ANTHROPIC_BASE_URL", "http://127.0.0.1:1");
    assert.equal(fromEnv.status, 409);
    assert.match(
      ((await fromEnv.json()) as { error: string }).error,
      /set in the service's environment/,
    );
    const unknown = await put("PORT", "8080");
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /no setting named "PORT"/);
    const bad = await put("TZ", "Mars/Olympus");
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /TZ: expected an IANA time zone/);
  });
});
