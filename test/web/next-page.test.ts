// Where the login page sends the browser after logging in (browser code).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nextPage } from "../../src/web/assets/next-page.js";

const ORIGIN = "https://pincer.example";

/** Where the browser ends up when the page assigns the answer to `location`. */
function landing(next: string | null): URL {
  return new URL(nextPage(next, ORIGIN), `${ORIGIN}/login`);
}

describe("next page after login", () => {
  it("goes back to the page on this site that asked for the login", () => {
    assert.equal(landing("/setup").href, `${ORIGIN}/setup`);
    assert.equal(
      landing("/conversations?group=main#end").href,
      `${ORIGIN}/conversations?group=main#end`,
    );
    assert.equal(landing(null).href, `${ORIGIN}/`);
    assert.equal(landing("").href, `${ORIGIN}/`);
  });

  it("never leaves the site, however the address is spelled", () => {
    for (const next of [
      "//evil.example",
      "/\\evil.example",
      "\\/evil.example",
      "/%5Cevil.example",
      "/%2F/evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "\t//evil.example",
      " //evil.example",
      "/.//evil.example",
      "https://evil.example/",
      "https:evil.example",
      "javascript:alert(1)",
      "evil.example",
    ]) {
      assert.equal(landing(next).origin, ORIGIN, JSON.stringify(next));
    }
  });
});
