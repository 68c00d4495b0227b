// The web chat's sent files once the retention has removed their copy: the download route
// answers 410 with a sentence saying the file is no longer kept and for how long files are,
// and the history shows the file as such (no URL) instead of a link that breaks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WEB_CHAT_ID, WebChannel, webMainGroup } from "../../src/channels/web.ts";
import { Delivery } from "../../src/core/delivery.ts";
import { pruneSentFiles } from "../../src/core/outbound-retention.ts";
import type { CoreView } from "../../src/core/status-port.ts";
import { createLogger } from "../../src/log.ts";
import { chatRoutes } from "../../src/web/chat-api.ts";
import { openTempStore } from "../helpers/store.ts";

const DAY = 24 * 60 * 60_000;

async function setup(t: { after(fn: () => void): void }) {
  const store = openTempStore();
  t.after(() => store.close());
  const filesDir = join(store.dir, "store", "outbound-files");
  mkdirSync(filesDir, { recursive: true });
  const web = new WebChannel();
  const delivery = new Delivery({
    db: store.db,
    channels: new Map([["web", web]]),
    logger: createLogger("silent"),
    assistantName: "Andy",
    filesDir,
  });
  t.after(() => delivery.stop());
  const app = chatRoutes({
    db: store.db,
    web,
    mainGroup: webMainGroup(store.db, "Andy"),
    orchestrator: {} as CoreView,
    delivery,
    maxMessageChars: 1000,
    maxAudioBytes: 1000,
    filesDir,
    retentionDays: 30,
  });
  /** A PNG the agent sent to the web chat, delivered. */
  const sendImage = async () => {
    writeFileSync(join(filesDir, "copy-1"), "PNG bytes");
    const delivered = new Promise((resolve) => delivery.once("delivered", resolve));
    delivery.enqueue({
      channel: "web",
      chatId: WEB_CHAT_ID,
      text: "The chart",
      file: { name: "chart.png", mimeType: "image/png", size: 9, stored: "copy-1" },
    });
    await delivered;
  };
  const history = async () => {
    const body = (await (await app.request("/api/chat/messages")).json()) as {
      messages: { id: number; attachments: Record<string, unknown>[] }[];
    };
    return body.messages[0]!;
  };
  return { store, filesDir, app, sendImage, history };
}

test("a kept file downloads; once the retention removed it, 410 says so and for how long", async (t) => {
  const { store, filesDir, app, sendImage, history } = await setup(t);
  await sendImage();
  const { id, attachments } = await history();
  assert.equal(attachments[0]!.url, `/api/chat/files/${id}`);
  const kept = await app.request(`/api/chat/files/${id}`);
  assert.equal(kept.status, 200);
  assert.equal(await kept.text(), "PNG bytes");

  await pruneSentFiles({ db: store.db, filesDir, retentionDays: 30, now: Date.now() + 31 * DAY });

  const gone = await app.request(`/api/chat/files/${id}`);
  assert.equal(gone.status, 410);
  assert.deepEqual(await gone.json(), {
    error:
      "chart.png is no longer kept: files the assistant sends to the web chat are kept for 30 days (ATTACHMENT_RETENTION_DAYS).",
  });
  assert.deepEqual((await history()).attachments, [
    {
      kind: "file",
      fileName: "chart.png",
      name: "chart.png",
      type: "image/png",
      size: 9,
      url: null,
      removed:
        "chart.png is no longer kept: files the assistant sends to the web chat are kept for 30 days (ATTACHMENT_RETENTION_DAYS).",
    },
  ]);
});

test("a copy missing while its row says kept is a 404 naming the file; no row is a 404", async (t) => {
  const { filesDir, app, sendImage, history } = await setup(t);
  await sendImage();
  const { id } = await history();
  rmSync(join(filesDir, "copy-1"));
  const missing = await app.request(`/api/chat/files/${id}`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: "chart.png is no longer kept." });
  const none = await app.request(`/api/chat/files/${id + 1}`);
  assert.equal(none.status, 404);
});
