import { test } from "node:test";
import assert from "node:assert/strict";
import {
  folderProblem,
  getGroupByChat,
  insertGroup,
  setWatermark,
  suggestFolder,
  type NewGroup,
} from "../../src/store/groups.ts";
import { insertInbound } from "../../src/store/messages.ts";
import { openTempStore } from "../helpers/store.ts";

function newGroup(overrides: Partial<NewGroup> = {}): NewGroup {
  return {
    channel: "telegram",
    chatId: "-100",
    folder: "family",
    name: "Family",
    trigger: "@Andy",
    requiresTrigger: true,
    isMain: false,
    ...overrides,
  };
}

test("insertGroup refuses folder names that are not safe path segments", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  for (const folder of [
    "../x",
    "..",
    ".",
    "a/b",
    "a\\b",
    "/abs",
    "Family",
    "x".repeat(65),
    "",
    "-lead",
    "_lead",
    "has space",
    "naïve",
    "global",
    "a\u0000b",
  ]) {
    assert.throws(() => insertGroup(db, newGroup({ folder }), 0), /folder/, JSON.stringify(folder));
    assert.ok(folderProblem(folder), JSON.stringify(folder));
  }
  assert.equal(getGroupByChat(db, "telegram", "-100"), undefined);
  for (const [i, folder] of ["a", "x".repeat(64), "team-1_b", "0day"].entries()) {
    assert.equal(folderProblem(folder), undefined, folder);
    insertGroup(db, newGroup({ chatId: String(i), folder }), 0);
  }
});

test("a new group's watermark starts at its chat's latest message, not the store's", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const base = { channel: "telegram", senderId: "u", senderName: "U", text: "x", timestamp: 1 };
  insertInbound(db, { ...base, chatId: "-100", platformId: "1" });
  const last = insertInbound(db, { ...base, chatId: "-100", platformId: "2" }).id;
  insertInbound(db, { ...base, chatId: "-999", platformId: "3" });
  insertInbound(db, { ...base, channel: "discord", chatId: "-100", platformId: "4" });
  const group = insertGroup(db, newGroup(), 123);
  assert.equal(group.watermark, last);
  assert.equal(group.createdAt, 123);
  assert.equal(group.trigger, "@Andy");
  assert.equal(group.allowedSenders, null);
  const empty = insertGroup(db, newGroup({ chatId: "-555", folder: "empty" }), 0);
  assert.equal(empty.watermark, 0);
});

test("the watermark only moves forward", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const group = insertGroup(db, newGroup(), 0);
  setWatermark(db, group.id, 10);
  setWatermark(db, group.id, 4);
  assert.equal(getGroupByChat(db, "telegram", "-100")?.watermark, 10);
});

test("a chat can be registered only once and a folder used only once", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  insertGroup(db, newGroup(), 0);
  assert.throws(() => insertGroup(db, newGroup({ folder: "other" }), 0));
  assert.throws(() => insertGroup(db, newGroup({ chatId: "-200" }), 0));
});

test("suggestFolder derives a valid, unused folder name", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  assert.equal(suggestFolder(db, "Family Chat!"), "family-chat");
  assert.equal(suggestFolder(db, "  Café  Owners  "), "cafe-owners");
  assert.equal(suggestFolder(db, "Ελληνικά"), "group");
  assert.equal(suggestFolder(db, ""), "group");
  assert.equal(suggestFolder(db, "Global"), "global-chat");
  assert.equal(suggestFolder(db, "../../etc/passwd"), "etc-passwd");
  insertGroup(db, newGroup({ folder: suggestFolder(db, "Family Chat") }), 0);
  assert.equal(suggestFolder(db, "family chat"), "family-chat-2");
  insertGroup(db, newGroup({ chatId: "-2", folder: suggestFolder(db, "family chat") }), 0);
  assert.equal(suggestFolder(db, "FAMILY CHAT"), "family-chat-3");
  for (const name of ["x".repeat(200), "Team — 🚀 launch", "___", "a".repeat(47) + "-b"]) {
    assert.equal(folderProblem(suggestFolder(db, name)), undefined, name);
  }
});
