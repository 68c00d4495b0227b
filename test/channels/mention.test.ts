import { test } from "node:test";
import assert from "node:assert/strict";
import { mentionsTrigger } from "../../src/channels/mention.ts";

test("mentionsTrigger finds the trigger as a whole word anywhere, in any case", () => {
  for (const text of [
    "@Andy what's up",
    "hey @Andy",
    "hey @andy, can you help",
    "@ANDY!",
    "(@Andy) please",
    "so @Andy's idea",
    "line one\n@Andy line two",
  ]) {
    assert.equal(mentionsTrigger(text, "@Andy"), true, text);
  }
});

test("mentionsTrigger ignores the trigger inside a longer word", () => {
  for (const text of [
    "@Andyx hello",
    "mail@Andy",
    "@Andy_bot",
    "@Andy2",
    "Andy",
    "@Andréa hi",
    "",
  ]) {
    assert.equal(mentionsTrigger(text, "@Andy"), false, text);
  }
});

test("mentionsTrigger treats regular-expression characters in the trigger literally", () => {
  assert.equal(mentionsTrigger("hi @A.B+ there", "@A.B+"), true);
  assert.equal(mentionsTrigger("hi @AxBB there", "@A.B+"), false);
  assert.equal(mentionsTrigger("ask (bot) now", "(bot)"), true);
  assert.equal(mentionsTrigger("ask bot now", "(bot)"), false);
});

test("mentionsTrigger works with non-Latin trigger names", () => {
  assert.equal(mentionsTrigger("привет @Андрей", "@Андрей"), true);
  assert.equal(mentionsTrigger("привет @Андрейка", "@Андрей"), false);
});
