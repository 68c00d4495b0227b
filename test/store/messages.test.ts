import { test } from "node:test";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import {
  editMessage,
  FIND_OUTBOUND,
  findInbound,
  findOutbound,
  getMessage,
  inboundAfter,
  insertInbound,
  insertOutbound,
  markDeleted,
  searchMessages,
  setPlatformIds,
  type NewInbound,
} from "../../src/store/messages.ts";
import { openDb } from "../../src/store/db.ts";
import { migrations } from "../../src/store/migrations.ts";
import { openTempStore } from "../helpers/store.ts";

function inbound(overrides: Partial<NewInbound> = {}): NewInbound {
  return {
    channel: "telegram",
    chatId: "-100",
    platformId: "1",
    senderId: "u1",
    senderName: "Alice",
    text: "hello",
    timestamp: 1_000,
    ...overrides,
  };
}

test("insertInbound is idempotent on channel, chat and platform id", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const first = insertInbound(
    db,
    inbound({ replyTo: { messageId: "0", senderName: "Bob", text: "q" } }),
  );
  assert.equal(first.created, true);
  const again = insertInbound(db, inbound({ text: "a redelivery with other text" }));
  assert.deepEqual(again, { id: first.id, created: false });
  assert.equal(getMessage(db, first.id)?.text, "hello");
  assert.deepEqual(getMessage(db, first.id)?.replyTo, {
    messageId: "0",
    senderName: "Bob",
    text: "q",
  });

  const otherChat = insertInbound(db, inbound({ chatId: "-200" }));
  const otherChannel = insertInbound(db, inbound({ channel: "discord" }));
  const otherId = insertInbound(db, inbound({ platformId: "2" }));
  const ids = new Set([first.id, otherChat.id, otherChannel.id, otherId.id]);
  assert.equal(ids.size, 4);
  assert.ok([otherChat, otherChannel, otherId].every((r) => r.created));
  assert.equal(findInbound(db, "telegram", "-100", "1")?.id, first.id);
  assert.equal(findInbound(db, "telegram", "-100", "nope"), undefined);
});

test("outbound rows never collide with inbound ones", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const a = insertOutbound(db, {
    channel: "web",
    chatId: "c",
    senderName: "Andy",
    text: "one",
    timestamp: 1,
  });
  const b = insertOutbound(db, {
    channel: "web",
    chatId: "c",
    senderName: "Andy",
    text: "two",
    timestamp: 2,
  });
  assert.notEqual(a, b);
  assert.equal(getMessage(db, a)?.direction, "out");
  assert.deepEqual(inboundAfter(db, "web", "c", 0), []);
});

test("inboundAfter lists a chat's undeleted inbound messages after an id, oldest first", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const one = insertInbound(db, inbound({ platformId: "1", text: "one" })).id;
  const two = insertInbound(db, inbound({ platformId: "2", text: "two" })).id;
  insertInbound(db, inbound({ chatId: "-200", platformId: "3", text: "elsewhere" }));
  const four = insertInbound(db, inbound({ platformId: "4", text: "four" })).id;
  markDeleted(db, two);
  assert.deepEqual(
    inboundAfter(db, "telegram", "-100", 0).map((m) => m.id),
    [one, four],
  );
  assert.deepEqual(
    inboundAfter(db, "telegram", "-100", one).map((m) => m.text),
    ["four"],
  );
});

function seedSearch(db: ReturnType<typeof openTempStore>["db"]) {
  const ids = {
    recipe: insertInbound(
      db,
      inbound({ platformId: "1", text: "the lasagna recipe needs ricotta" }),
    ).id,
    plans: insertInbound(db, inbound({ platformId: "2", text: "dinner plans: lasagna on friday" }))
      .id,
    gone: insertInbound(db, inbound({ platformId: "3", text: "secret lasagna trick" })).id,
    elsewhere: insertInbound(
      db,
      inbound({ chatId: "-200", platformId: "4", text: "lasagna elsewhere" }),
    ).id,
    other: insertInbound(
      db,
      inbound({ channel: "discord", platformId: "5", text: "lasagna on discord" }),
    ).id,
  };
  markDeleted(db, ids.gone);
  return ids;
}

test("searchMessages finds only this chat's undeleted messages", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const ids = seedSearch(db);
  const found = searchMessages(db, "telegram", "-100", "lasagna", 10).map((m) => m.id);
  assert.deepEqual(new Set(found), new Set([ids.recipe, ids.plans]));
  assert.deepEqual(
    searchMessages(db, "telegram", "-100", "ricotta lasagna", 10).map((m) => m.id),
    [ids.recipe],
  );
  assert.equal(searchMessages(db, "telegram", "-100", "lasagna", 1).length, 1);
  assert.deepEqual(searchMessages(db, "telegram", "-100", "   ", 10), []);
});

test("FTS5 syntax in a search is taken literally and never throws", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const ids = seedSearch(db);
  for (const query of [
    'lasagna"',
    '"lasagna',
    "lasagna*",
    "lasagna AND",
    "OR lasagna",
    "NOT",
    "NEAR(lasagna ricotta)",
    "text:lasagna",
    "^lasagna",
    "-lasagna",
    "+",
    "(",
    ")",
    "*",
    "'",
    '"',
    "lasagna:",
    "{text}",
  ]) {
    const found = searchMessages(db, "telegram", "-100", query, 10);
    assert.ok(
      found.every((m) => m.chatId === "-100" && !m.deleted),
      query,
    );
    assert.ok(
      found.every((m) => [ids.recipe, ids.plans].includes(m.id)),
      query,
    );
  }
  for (const query of ['lasagna"', "-lasagna", "^lasagna", "lasagna*"]) {
    assert.equal(searchMessages(db, "telegram", "-100", query, 10).length, 2, query);
  }
  // As an operator OR would match both; as a literal word it matches neither.
  assert.deepEqual(searchMessages(db, "telegram", "-100", "ricotta OR friday", 10), []);
});

test("an edited message is found by its new text, not its old one", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const id = insertInbound(db, inbound({ text: "meet at the harbour" })).id;
  editMessage(db, id, "meet at the station", 2_000);
  assert.deepEqual(searchMessages(db, "telegram", "-100", "harbour", 10), []);
  const found = searchMessages(db, "telegram", "-100", "station", 10);
  assert.deepEqual(
    found.map((m) => [m.id, m.text, m.editedAt]),
    [[id, "meet at the station", 2_000]],
  );
});

function reply(db: DatabaseSync, chatId: string, text: string): number {
  return insertOutbound(db, {
    channel: "telegram",
    chatId,
    senderName: "Andy",
    text,
    timestamp: 2_000,
  });
}

test("findOutbound finds a split reply by any of its platform ids, in its own chat only", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  const split = reply(db, "-100", "a long answer");
  setPlatformIds(db, split, ["7", "8", "9"]);
  const other = reply(db, "-200", "elsewhere");
  setPlatformIds(db, other, ["8"]);
  insertInbound(db, inbound({ platformId: "10" }));
  for (const id of ["7", "8", "9"])
    assert.equal(findOutbound(db, "telegram", "-100", id)?.id, split);
  assert.equal(findOutbound(db, "telegram", "-200", "8")?.id, other);
  assert.equal(findOutbound(db, "telegram", "-100", "10"), undefined, "an inbound id is not ours");
  assert.equal(findOutbound(db, "telegram", "-100", "78"), undefined, "no partial match");
  assert.equal(findOutbound(db, "discord", "-100", "7"), undefined);
  // Stamped again (an edit that sent more pieces): the new ids replace the old ones.
  setPlatformIds(db, split, ["7", "11"]);
  assert.equal(findOutbound(db, "telegram", "-100", "11")?.id, split);
  assert.equal(findOutbound(db, "telegram", "-100", "9"), undefined);
  assert.equal(getMessage(db, split)?.platformId, "7,11");
});

test("findOutbound is an index lookup, not a scan of the chat's messages", (t) => {
  const { db, close } = openTempStore();
  t.after(close);
  for (let i = 0; i < 200; i++) setPlatformIds(db, reply(db, "-100", `reply ${i}`), [`${i}`]);
  db.exec("ANALYZE");
  const plan = (
    db.prepare(`EXPLAIN QUERY PLAN ${FIND_OUTBOUND}`).all("telegram", "-100", "150") as {
      detail: string;
    }[]
  ).map((row) => row.detail);
  assert.ok(
    plan.every((step) => step.startsWith("SEARCH")),
    `no step scans: ${plan.join("; ")}`,
  );
  assert.ok(
    plan.some((step) => step.includes("platform_id=?")),
    `the platform id is a search key: ${plan.join("; ")}`,
  );
  assert.ok(!plan.some((step) => step.includes("TEMP B-TREE")), plan.join("; "));
  assert.equal(findOutbound(db, "telegram", "-100", "150")?.text, "reply 150");
});

test("migration 14 indexes the platform ids of replies stored before it", (t) => {
  const store = openTempStore();
  t.after(() => store.close());
  // A store as version 13 left it: platform ids only comma-joined on the messages row.
  const file = join(store.dir, "version-13.db");
  const legacy = new DatabaseSync(file);
  legacy.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)");
  for (const migration of migrations.filter((m) => m.version <= 13)) {
    legacy.exec(migration.sql);
    legacy.prepare("INSERT INTO schema_version (version) VALUES (?)").run(migration.version);
  }
  const add = legacy.prepare(
    `INSERT INTO messages (channel, chat_id, direction, platform_id, sender_id, sender_name, text, timestamp)
       VALUES ('telegram', '-100', ?, ?, 'x', 'x', ?, 1) RETURNING id`,
  );
  const row = (direction: string, platformId: string | null, text: string) =>
    (add.get(direction, platformId, text) as { id: number }).id;
  const split = row("out", "7,8,9", "split");
  const single = row("out", "12", "single");
  row("out", null, "never sent");
  row("in", "13", "from a person");
  legacy.close();

  const db = openDb(file);
  try {
    for (const id of ["7", "8", "9"])
      assert.equal(findOutbound(db, "telegram", "-100", id)?.id, split);
    assert.equal(findOutbound(db, "telegram", "-100", "12")?.id, single);
    assert.equal(findOutbound(db, "telegram", "-100", "13"), undefined);
    const count = db.prepare("SELECT COUNT(*) AS n FROM outbound_platform_ids").get() as {
      n: number;
    };
    assert.equal(count.n, 4, "one row per id of a sent reply");
  } finally {
    db.close();
  }
});
