// The Matrix sync token across restarts, and the invites a batch carries.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { invitesIn, SyncToken } from "../../../src/channels/matrix/sync.ts";

test("the token is absent at first, then what was saved last", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "pincer-matrix-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const token = new SyncToken(dir);
  assert.equal(await token.read(), undefined);
  await token.save("s1");
  await token.save("s2");
  assert.equal(await new SyncToken(dir).read(), "s2");
});

test("an invite is allowed only from an allowed inviter", () => {
  const bot = "@andy:fake.test";
  const invite = (sender: string, stateKey = bot) => ({
    invite_state: {
      events: [
        {
          event_id: "$i",
          type: "m.room.member",
          sender,
          origin_server_ts: 1,
          content: { membership: "invite" },
          state_key: stateKey,
        },
      ],
    },
  });
  const batch = {
    next_batch: "s",
    rooms: {
      invite: {
        "!a": invite("@owner:fake.test"),
        "!b": invite("@stranger:fake.test"),
        "!c": invite("@owner:fake.test", "@someone-else:fake.test"),
      },
    },
  };
  assert.deepEqual(invitesIn(batch, bot, ["@owner:fake.test"]), [
    { roomId: "!a", inviter: "@owner:fake.test", allowed: true },
    { roomId: "!b", inviter: "@stranger:fake.test", allowed: false },
    { roomId: "!c", inviter: undefined, allowed: false },
  ]);
});
