// What the console says about the admin token, and the URLs it names.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { adminTokenNotice, serviceUrls } from "../../src/web/admin-token.ts";

const LAN = {
  lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }],
  eth0: [
    { address: "192.168.1.20", family: "IPv4", internal: false },
    { address: "fe80::1", family: "IPv6", internal: false },
  ],
} as unknown as Parameters<typeof serviceUrls>[2];

describe("admin token notice", () => {
  it("names localhost and the LAN addresses when listening on every interface", () => {
    assert.deepEqual(serviceUrls("0.0.0.0", 3000, LAN), [
      "http://localhost:3000",
      "http://192.168.1.20:3000",
    ]);
    assert.deepEqual(serviceUrls("127.0.0.1", 8080, LAN), ["http://127.0.0.1:8080"]);
    assert.deepEqual(serviceUrls("::1", 8080, LAN), ["http://[::1]:8080"]);
  });

  it("shows a generated token once, as a block with the URLs", () => {
    const notice = adminTokenNotice({
      token: "tok-123",
      generated: true,
      fromEnvironment: false,
      dataDir: "/data",
      urls: ["http://localhost:3000", "http://192.168.1.20:3000"],
    });
    assert.deepEqual(notice.fields, { notice: true });
    assert.match(notice.text, /Open http:\/\/localhost:3000 and log in with:\n\n {4}tok-123\n/);
    assert.match(notice.text, /phone on the same network: http:\/\/192\.168\.1\.20:3000/);
    assert.match(notice.text, /\/data\/admin-token; `pincer token` prints it again/);
  });

  it("on later starts says where the token is, without it", () => {
    const later = { token: "tok-123", generated: false, dataDir: "/data", urls: [] };
    const fromFile = adminTokenNotice({ ...later, fromEnvironment: false });
    assert.equal(
      fromFile.text,
      "The admin token is in /data/admin-token: `pincer token` prints it.",
    );
    const fromEnv = adminTokenNotice({ ...later, fromEnvironment: true });
    assert.doesNotMatch(fromEnv.text, /tok-123/);
    assert.match(fromEnv.text, /ADMIN_TOKEN/);
  });
});
