import assert from "node:assert/strict";
import { test } from "node:test";
import { markdownToMrkdwn } from "../../../src/channels/slack/mrkdwn.ts";

test("emphasis becomes Slack's *bold*, _italic_ and ~strike~", () => {
  assert.equal(markdownToMrkdwn("**b** *i* _i_ ~~s~~ __b__"), "*b* _i_ _i_ ~s~ *b*");
  assert.equal(markdownToMrkdwn("***both***"), "*_both_*");
  assert.equal(markdownToMrkdwn("*a **b** c*"), "_a *b* c_");
});

test("lone asterisks and words with underscores are left alone", () => {
  assert.equal(
    markdownToMrkdwn("a * b * c, 2*3*4, snake_case_name"),
    "a * b * c, 2*3*4, snake_case_name",
  );
});

test("links become <url|label> with the URL's & escaped", () => {
  assert.equal(
    markdownToMrkdwn("[docs](https://x.test/?a=1&b=2)"),
    "<https://x.test/?a=1&amp;b=2|docs>",
  );
  assert.equal(markdownToMrkdwn("see <https://x.test>"), "see <https://x.test>");
  assert.equal(markdownToMrkdwn("[https://x.test](https://x.test)"), "<https://x.test>");
  assert.equal(markdownToMrkdwn("![chart](https://x.test/c.png)"), "<https://x.test/c.png|chart>");
});

test("&, < and > are escaped as entities, in prose and in code", () => {
  assert.equal(markdownToMrkdwn("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
  assert.equal(markdownToMrkdwn("`x<y`"), "`x&lt;y`");
  assert.equal(markdownToMrkdwn("```ts\nif (a < b) {}\n```"), "```\nif (a &lt; b) {}\n```");
});

test("Slack's own mention tokens pass through", () => {
  assert.equal(
    markdownToMrkdwn("ping <@U123> in <#C42> <!here>"),
    "ping <@U123> in <#C42> <!here>",
  );
});

test("code keeps its text: no emphasis is applied inside", () => {
  assert.equal(markdownToMrkdwn("`**not bold**`"), "`**not bold**`");
  assert.equal(markdownToMrkdwn("```\n**raw** [x](y)\n```"), "```\n**raw** [x](y)\n```");
  assert.equal(markdownToMrkdwn("```\nunclosed"), "```\nunclosed\n```");
});

test("headings, lists, quotes and rules get Slack equivalents", () => {
  assert.equal(markdownToMrkdwn("## Plan **now**"), "*Plan now*");
  assert.equal(markdownToMrkdwn("- one\n  * two\n1. three"), "• one\n  • two\n1. three");
  assert.equal(markdownToMrkdwn("> quoted *x*"), "&gt; quoted _x_");
  assert.equal(markdownToMrkdwn("---"), "──────────");
});

test("the placeholder characters used internally cannot be injected", () => {
  assert.equal(markdownToMrkdwn("a\uE0000\uE001b"), "a0b");
});
