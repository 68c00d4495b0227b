import assert from "node:assert/strict";
import { test } from "node:test";
import {
  mentionedUserIds,
  mentionsUser,
  slackTextToMarkdown,
  slackTsToMs,
} from "../../../src/channels/slack/inbound-text.ts";
import { reactionName } from "../../../src/channels/slack/reactions.ts";
import { mentionsTrigger } from "../../../src/channels/mention.ts";

const context = { botUserId: "UBOT", assistantName: "Andy", userNames: new Map([["U1", "Alice"]]) };

test("the bot's mention becomes @assistantName and other mentions become names", () => {
  assert.equal(
    slackTextToMarkdown("<@UBOT> ask <@U1> and <@U2|bob>", context),
    "@Andy ask @Alice and @bob",
  );
  assert.equal(slackTextToMarkdown("<@U9>", context), "@U9");
  assert.deepEqual(mentionedUserIds("<@UBOT> <@U1> <@U1|x>"), ["UBOT", "U1"]);
  assert.equal(mentionsUser("hey <@UBOT|pincer>", "UBOT"), true);
  assert.equal(mentionsUser("hey @Andy", "UBOT"), false);
});

test("a mention of a member named like the assistant does not read as its trigger", () => {
  const named = {
    ...context,
    userNames: new Map([
      ["U2", "Andy"],
      ["U3", "Andy Smith"],
    ]),
  };
  for (const raw of ["<@U2> lunch?", "<@U3> lunch?", "<@U4|andy> lunch?", "<!subteam^S1|@andy>"]) {
    const text = slackTextToMarkdown(raw, named);
    assert.match(text, /andy/i);
    assert.equal(mentionsTrigger(text, "@Andy"), false, text);
  }
  assert.equal(mentionsTrigger(slackTextToMarkdown("<@UBOT> lunch?", named), "@Andy"), true);
});

test("channels, broadcasts and links are unwrapped and entities decoded", () => {
  assert.equal(
    slackTextToMarkdown("<#C1|general> <!here> <!subteam^S1|@ops>", context),
    "#general @here @ops",
  );
  assert.equal(slackTextToMarkdown("<https://x.test>", context), "https://x.test");
  assert.equal(slackTextToMarkdown("<https://x.test|x.test>", context), "https://x.test");
  assert.equal(
    slackTextToMarkdown("<https://x.test/a|the docs>", context),
    "[the docs](https://x.test/a)",
  );
  assert.equal(slackTextToMarkdown("a &lt;b&gt; &amp;lt;", context), "a <b> &lt;");
});

test("Slack timestamps convert to milliseconds", () => {
  assert.equal(slackTsToMs("1700000000.123456"), 1_700_000_000_123);
});

test("reaction emoji map to Slack reaction names", () => {
  assert.equal(reactionName("👀"), "eyes");
  assert.equal(reactionName("✅"), "white_check_mark");
  assert.equal(reactionName("❌"), "x");
  assert.equal(reactionName("⚠️"), "warning");
  assert.equal(reactionName(":rocket:"), "rocket");
  assert.equal(reactionName("🦀"), undefined);
});
