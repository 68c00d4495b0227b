// The web chat's group is the owner's main one, made once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { webMainGroup, WEB_CHAT_ID } from "../../src/channels/web.ts";
import { openTempStore } from "../helpers/store.ts";

test("the web chat's main group is made at the first start and found after", (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  const first = webMainGroup(store.db, "Andy");
  assert.equal(first.chatId, WEB_CHAT_ID);
  assert.equal(first.folder, "main");
  assert.equal(first.isMain, true);
  assert.equal(first.requiresTrigger, false);
  assert.equal(first.trigger, "@Andy");
  assert.deepEqual(webMainGroup(store.db, "Renamed"), first);
});
