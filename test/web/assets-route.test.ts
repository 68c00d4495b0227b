// The static files: the stylesheet, scripts and the icon a browser asks for by itself.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assetRoutes } from "../../src/web/assets-route.ts";

describe("assets", () => {
  it("answers /favicon.ico with the icon, not a 404", async () => {
    const response = await assetRoutes().request("/favicon.ico");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "image/svg+xml");
    assert.match(await response.text(), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it("serves the stylesheet and answers a repeat with 304", async () => {
    const app = assetRoutes();
    const first = await app.request("/assets/style.css");
    assert.equal(first.status, 200);
    const again = await app.request("/assets/style.css", {
      headers: { "if-none-match": first.headers.get("etag")! },
    });
    assert.equal(again.status, 304);
  });
});
