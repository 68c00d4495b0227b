// Close codes to next steps, and the reconnect delays.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeVerdict, reconnectDelayMs } from "../../../src/channels/whatsapp/reconnect.ts";
import { boom } from "../../fakes/whatsapp/stub-socket.ts";

describe("closeVerdict", () => {
  const cases: [number, string][] = [
    [515, "restart"],
    [401, "logged_out"],
    [440, "replaced"],
    [403, "forbidden"],
    [408, "retry"],
    [428, "retry"],
    [503, "retry"],
    [500, "retry"],
  ];
  for (const [code, verdict] of cases) {
    it(`${code} → ${verdict}`, () => assert.equal(closeVerdict(boom(code, "x")), verdict));
  }

  it("treats errors without a status (network) as transient", () => {
    assert.equal(closeVerdict(new Error("ECONNRESET")), "retry");
    assert.equal(closeVerdict(undefined), "retry");
  });
});

describe("reconnectDelayMs", () => {
  const options = { baseMs: 1000, maxMs: 60_000 };

  it("doubles per attempt between half and all of the ceiling", () => {
    for (const [attempt, ceiling] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [7, 60_000],
      [30, 60_000],
    ] as const) {
      assert.equal(
        reconnectDelayMs(attempt, options, () => 0),
        ceiling / 2,
      );
      assert.equal(
        reconnectDelayMs(attempt, options, () => 1),
        ceiling,
      );
    }
  });
});
