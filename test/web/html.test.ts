// The page templates escape everything interpolated unless it is already markup.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { html } from "../../src/web/pages/html.ts";

// Under another name, so that the formatter leaves the template's whitespace alone.
const render = html;

describe("html templates", () => {
  it("escapes text and attributes, nests markup, skips empty values", () => {
    const name = `"><script>alert('x')</script>`;
    const out = render`<a title="${name}">${name}</a>${[render`<b>${"<i>"}</b>`, "&"]}${undefined}${false}${0}`;
    assert.equal(
      out.text,
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</a><b>&lt;i&gt;</b>&amp;0',
    );
  });
});
