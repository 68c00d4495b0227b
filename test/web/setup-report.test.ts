// How the setup checklist shows a channel's state: a WhatsApp QR payload becomes an image
// (never shown as text), every other detail is shown as the adapter wrote it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { channelReport } from "../../src/web/setup-api.ts";

describe("setup checklist channel report", () => {
  it("turns a QR payload into an image flag with instructions", () => {
    const report = channelReport("whatsapp", {
      status: "pairing",
      detail: "qr:2@AbCdEf,xyz==",
      since: 5,
    });
    assert.equal(report.qr, true);
    assert.doesNotMatch(report.detail!, /AbCdEf/);
    assert.match(report.detail!, /Linked devices/);
  });

  it("passes pairing codes, failures and missing variables through", () => {
    const code = channelReport("whatsapp", {
      status: "pairing",
      detail: "Pairing code: ABCD-EFGH.",
      since: 1,
    });
    assert.deepEqual([code.qr, code.detail], [false, "Pairing code: ABCD-EFGH."]);
    const failed = channelReport("telegram", {
      status: "auth_failed",
      detail: "401 Unauthorized",
      since: 2,
    });
    assert.deepEqual([failed.status, failed.detail], ["auth_failed", "401 Unauthorized"]);
    assert.equal(channelReport("web", { status: "connected", since: 3 }).detail, null);
  });
});
