import assert from "node:assert/strict";
import { test } from "node:test";
import { fatalCloseDetail } from "../../../src/channels/discord/gateway-errors.ts";

test("a gateway close that ends the connection says what to do, or names its code", () => {
  assert.match(fatalCloseDetail(4004), /rejected the bot token \(gateway close 4004\)/);
  assert.match(fatalCloseDetail(4014), /Message Content intent/);
  assert.equal(
    fatalCloseDetail(4010),
    "Discord closed the gateway with code 4010 (InvalidShard) and will not reconnect",
  );
  assert.match(fatalCloseDetail(4999), /code 4999 \(unknown\)/);
});
