// The pure parts of ask_user: checking questions, button ids, numbered text, typed answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkQuestion,
  choiceId,
  closedText,
  numberedText,
  parseChoiceId,
  typedChoice,
} from "../../src/core/choices.ts";
import { renderHtml, visibleText } from "../../src/channels/render-html.ts";

test("a question with 2 to 5 distinct short choices is accepted, trimmed", () => {
  assert.deepEqual(checkQuestion("  Which day? ", [" Tuesday", "Friday  next  week"]), {
    text: "Which day?",
    choices: ["Tuesday", "Friday next week"],
  });
  assert.ok("text" in checkQuestion("Pick", ["a", "b", "c", "d", "e"]));
});

test("bad questions are refused with a sentence that says what to change", () => {
  const error = (question: string, choices: string[]) => {
    const result = checkQuestion(question, choices);
    assert.ok("error" in result, `expected a refusal for ${JSON.stringify(choices)}`);
    return result.error;
  };
  assert.match(error("Which?", []), /between 2 and 5 choices; you gave 0/);
  assert.match(error("Which?", ["only"]), /between 2 and 5 choices; you gave 1/);
  assert.match(error("Which?", ["a", "b", "c", "d", "e", "f"]), /at most 5 choices; you gave 6/);
  assert.match(
    error("Which?", ["a", "x".repeat(51)]),
    /Choice 2 .* 51 characters long; a button holds at most 50/,
  );
  assert.match(error("Which?", ["a", "  "]), /Choice 2 is empty/);
  assert.match(error("Which?", ["Yes", "yes "]), /"yes" is there twice/);
  assert.match(error("   ", ["a", "b"]), /question is empty/);
  assert.match(error("q".repeat(1001), ["a", "b"]), /1001 characters long; keep it under 1000/);
});

test("a button id carries the question and the choice, and nothing else parses", () => {
  assert.deepEqual(parseChoiceId(choiceId("a1b2c3", 4)), { questionId: "a1b2c3", index: 4 });
  assert.equal(parseChoiceId("ask:a1b2:12"), undefined);
  assert.equal(parseChoiceId("ask:a-b:1"), undefined);
  assert.equal(parseChoiceId("something else"), undefined);
  assert.ok(
    Buffer.byteLength(choiceId("0123456789abcdef", 4)) <= 64,
    "fits Telegram's callback_data",
  );
});

test("numbered text lists the choices and says how to answer", () => {
  assert.equal(
    numberedText({ text: "Which day?", choices: ["Tuesday", "Friday"] }),
    "Which day?\n\n1. Tuesday\n2. Friday\n\nReply with a number or a choice.",
  );
});

test("a typed number or the choice's text picks it; anything else picks nothing", () => {
  const choices = ["Tuesday", "Friday next week"];
  assert.equal(typedChoice(choices, "2"), 1);
  assert.equal(typedChoice(choices, " 1. "), 0);
  assert.equal(typedChoice(choices, "1)"), 0);
  assert.equal(typedChoice(choices, "tuesday"), 0);
  assert.equal(typedChoice(choices, "Friday  next week!"), 1);
  assert.equal(typedChoice(choices, "3"), undefined);
  assert.equal(typedChoice(choices, "0"), undefined);
  assert.equal(typedChoice(choices, "Tuesday please"), undefined);
  assert.equal(typedChoice(choices, ""), undefined);
  // A mail's answer: the subject line, a blank line, then the body.
  assert.equal(typedChoice(choices, "Subject: Re: Which day?\n\n2"), 1);
  assert.equal(typedChoice(choices, "Subject: Re: Which day?\n\ntuesday\n"), 0);
  assert.equal(typedChoice(choices, "2\nor maybe not"), undefined);
});

test("a closed question keeps the agent's Markdown and shows the answer as plain text", () => {
  assert.equal(closedText("Which **day**?", null), "Which **day**?\n\n(no answer)");
  const closed = closedText("Which **day**?", "*Friday* (__init__)");
  assert.equal(closed, "Which **day**?\n\n✓ \\*Friday\\* (\\_\\_init\\_\\_)");
  // Rendered like a reply: the question's bold is formatting, the answer's symbols are text.
  const html = renderHtml(closed);
  assert.equal(html, "Which <b>day</b>?\n\n✓ *Friday* (__init__)");
  assert.equal(visibleText(html), "Which day?\n\n✓ *Friday* (__init__)");
});
