// How the setup checklist shows a channel's state: a WhatsApp QR payload is only flagged (the
// page shows it as an image), every other detail is shown as the adapter wrote it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { channelReport } from "../../src/web/setup-api.ts";

describe("setup checklist channel report", () => {
  it("flags a QR payload without carrying it", () => {
    const report = channelReport("whatsapp", {
      status: "pairing",
      detail: "Scan the QR code on the setup page: … Linked devices …",
      pairing: { method: "qr", payload: "2@AbCdEf,xyz==" },
      since: 5,
    });
    assert.equal(report.qr, true);
    assert.doesNotMatch(JSON.stringify(report), /AbCdEf/);
    assert.match(report.detail!, /Linked devices/);
  });

  it("passes pairing codes, failures and missing variables through", () => {
    const code = channelReport("whatsapp", {
      status: "pairing",
      detail: "Pairing code: ABCD-EFGH.",
      pairing: { method: "code", code: "ABCDEFGH", phone: "15551234567" },
      since: 1,
    });
    assert.deepEqual(
      [code.qr, code.pairingCode, code.detail],
      [false, "ABCDEFGH", "Pairing code: ABCD-EFGH."],
    );
    const failed = channelReport("telegram", {
      status: "auth_failed",
      detail: "401 Unauthorized",
      since: 2,
    });
    assert.deepEqual([failed.status, failed.detail], ["auth_failed", "401 Unauthorized"]);
    assert.equal(channelReport("web", { status: "connected", since: 3 }).detail, null);
  });
});
