import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkNavigation,
  defaultPort,
  fileAllowed,
  isInside,
  isLocalAddress,
  normalizeAddress,
  refusedConnection,
} from "../../src/browser/url-policy.ts";

const policy = { groupDir: "/data/groups/main", servicePorts: [3000, 41234] };

function reason(raw: string): string | undefined {
  const verdict = checkNavigation(raw, policy);
  return verdict.allowed ? undefined : verdict.reason;
}

describe("url policy", () => {
  it("allows web pages, including other local ports", () => {
    for (const url of [
      "https://example.com/",
      "http://example.com:3000/",
      "http://127.0.0.1:8080/page",
      "http://localhost:5173/",
      "  https://example.com/path?q=1  ",
    ]) {
      assert.equal(reason(url), undefined, url);
    }
  });

  it("refuses the service's own ports under every spelling of this machine", () => {
    for (const url of [
      "http://127.0.0.1:3000/api/status",
      "https://127.0.0.1:3000/",
      "http://localhost:3000/",
      "http://LOCALHOST:3000/",
      "http://app.localhost:3000/",
      "http://[::1]:3000/",
      "http://0.0.0.0:3000/",
      "http://127.1.2.3:3000/",
      "http://2130706433:3000/",
      "http://0x7f.0.0.1:3000/",
      "http://[::ffff:127.0.0.1]:3000/",
      "http://127.0.0.1:41234/v1/messages",
    ]) {
      assert.match(reason(url) ?? "", /assistant's own service/, url);
    }
  });

  it("counts default ports: a service on port 80 is refused without an explicit port", () => {
    const onEighty = { groupDir: "/g", servicePorts: [80] };
    assert.equal(checkNavigation("http://127.0.0.1/", onEighty).allowed, false);
    assert.equal(checkNavigation("https://127.0.0.1/", onEighty).allowed, true);
    assert.equal(defaultPort(new URL("wss://x/")), 443);
  });

  it("allows file URLs inside the group folder only", () => {
    assert.equal(reason("file:///data/groups/main/report.html"), undefined);
    assert.equal(reason("file:///data/groups/main"), undefined);
    assert.match(reason("file:///etc/passwd") ?? "", /outside this chat's folder/);
    assert.match(reason("file:///data/groups/main/../other/x.html") ?? "", /outside/);
    assert.match(reason("file:///data/groups/main2/x.html") ?? "", /outside/);
    assert.match(reason("file:///data/groups/main%2F..%2Fother/x") ?? "", /outside|not a local/);
  });

  it("refuses other schemes and relative or malformed input", () => {
    for (const url of [
      "javascript:alert(1)",
      "data:text/html,hi",
      "chrome://settings",
      "view-source:https://example.com",
      "ftp://example.com/",
    ]) {
      assert.match(reason(url) ?? "", /not allowed/, url);
    }
    assert.match(reason("example.com") ?? "", /not an absolute URL/);
    assert.match(reason("") ?? "", /not an absolute URL/);
  });

  it("recognises local addresses, mapped and bracketed forms and own interfaces", () => {
    assert.equal(normalizeAddress("[::FFFF:7f00:1]"), "127.0.0.1");
    assert.equal(normalizeAddress("::ffff:10.1.2.3"), "10.1.2.3");
    assert.equal(isLocalAddress("127.0.0.53", []), true);
    assert.equal(isLocalAddress("::", []), true);
    assert.equal(isLocalAddress("10.0.0.5", ["10.0.0.5"]), true);
    assert.equal(isLocalAddress("10.0.0.6", ["10.0.0.5"]), false);
    assert.equal(isLocalAddress("93.184.216.34", []), false);
  });

  it("refuses connections only to service ports on this machine", () => {
    assert.match(refusedConnection("10.0.0.5", 3000, [3000], ["10.0.0.5"]) ?? "", /own service/);
    assert.equal(refusedConnection("10.0.0.5", 3001, [3000], ["10.0.0.5"]), undefined);
    assert.equal(refusedConnection("93.184.216.34", 3000, [3000], ["10.0.0.5"]), undefined);
  });

  it("compares paths by component, not by prefix", () => {
    assert.equal(isInside("/a/b/c", "/a/b"), true);
    assert.equal(isInside("/a/b", "/a/b/"), true);
    assert.equal(isInside("/a/bc", "/a/b"), false);
    assert.equal(isInside("/a/b/../c", "/a/b"), false);
    assert.equal(fileAllowed(new URL("file:///a/b/x"), "/a/b").allowed, true);
  });
});
