// What the Matrix adapter knows of a room, kept current from its events.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  encryptedRoomsDetail,
  learn,
  roomContext,
  type RoomInfo,
} from "../../../src/channels/matrix/rooms.ts";

const bot = "@andy:fake.test";
const state = (type: string, content: Record<string, unknown>, stateKey?: string) => ({
  event_id: "$s",
  type,
  sender: "@bea:fake.test",
  origin_server_ts: 1,
  content,
  ...(stateKey === undefined ? {} : { state_key: stateKey }),
});

test("names, joins and leaves are learnt; encryption is reported once", () => {
  const info: RoomInfo = { name: null, members: new Map([[bot, "Andy"]]), encrypted: false };
  assert.equal(
    learn(info, state("m.room.member", { membership: "join" }, "@bea:fake.test")),
    false,
  );
  assert.equal(
    learn(info, state("m.room.member", { membership: "join", displayname: "Cy" }, "@cy:f")),
    false,
  );
  assert.deepEqual([...info.members.values()], ["Andy", "bea", "Cy"]);
  learn(info, state("m.room.member", { membership: "leave" }, "@cy:f"));
  assert.deepEqual([...info.members.keys()], [bot, "@bea:fake.test"]);
  learn(info, state("m.room.name", { name: "Family" }, ""));
  assert.equal(info.name, "Family");
  assert.equal(learn(info, state("m.room.encryption", { algorithm: "m.megolm" }, "")), true);
  assert.equal(learn(info, state("m.room.encryption", { algorithm: "m.megolm" }, "")), false);
});

test("a room without a name is named for the others in it; more than two is a group", () => {
  const members = new Map([
    [bot, "Andy"],
    ["@bea:fake.test", "Bea"],
  ]);
  const direct = roomContext("!r", { name: null, members, encrypted: false }, bot);
  assert.deepEqual([direct.name, direct.isGroup], ["Bea", false]);
  members.set("@cy:f", "Cy");
  const group = roomContext("!r", { name: null, members, encrypted: false }, bot);
  assert.deepEqual([group.name, group.isGroup], ["Bea, Cy", true]);
  const empty = roomContext("!r", { name: null, members: new Map(), encrypted: false }, bot);
  assert.equal(empty.name, "!r");
});

test("the state names the encrypted rooms the bot cannot read", () => {
  const rooms = new Map<string, RoomInfo>([
    ["!a", { name: "Secret", members: new Map(), encrypted: true }],
    ["!b", { name: null, members: new Map(), encrypted: true }],
    ["!c", { name: "Open", members: new Map(), encrypted: false }],
  ]);
  assert.equal(
    encryptedRoomsDetail(rooms),
    "the bot is in encrypted rooms it cannot read yet: Secret, !b",
  );
  assert.equal(encryptedRoomsDetail(new Map()), undefined);
});
