// SKILL.md's front matter: a skill needs a name Claude Code accepts and a description.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSkillHeader, skillNameProblem } from "../../src/skills/front-matter.ts";

test("name and description are read from the front matter, folded text included", () => {
  assert.deepEqual(
    parseSkillHeader("---\nname: pdf-tools\ndescription: Fill and read PDF forms.\n---\n# PDF\n"),
    { name: "pdf-tools", description: "Fill and read PDF forms." },
  );
  assert.deepEqual(
    parseSkillHeader(
      "\uFEFF---\r\nname: notes\r\ndescription: >\r\n  Keeps notes\r\n  tidy.\r\nlicense: MIT\r\n---\r\n",
    ),
    { name: "notes", description: "Keeps notes tidy." },
  );
});

test("a SKILL.md without what Claude Code needs is refused with what is missing", () => {
  const cases: [string, RegExp][] = [
    ["# Just text\n", /no front matter/],
    ["---\nname: x\ndescription: y\n", /no front matter/],
    ["---\ndescription: does things\n---\n", /no "name"/],
    ["---\nname: tools\n---\n", /no "description"/],
    ["---\nname: tools\ndescription: ''\n---\n", /no "description"/],
    ["---\nname: Big Tools\ndescription: d\n---\n", /skill name "Big Tools" is not allowed/],
    ["---\nname: ../up\ndescription: d\n---\n", /is not allowed/],
    ["---\nname: [a\ndescription: d\n---\n", /not valid YAML/],
    ["---\n- a\n- b\n---\n", /must be a list of fields/],
    [`---\nname: long\ndescription: ${"x".repeat(1025)}\n---\n`, /longer than 1024/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseSkillHeader(text), message, text);
});

test("skill names: lower-case letters, digits and single hyphens, up to 64", () => {
  for (const good of ["a", "pdf-tools", "x1-2", "a".repeat(64)])
    assert.equal(skillNameProblem(good), undefined, good);
  for (const bad of ["", "-a", "a-", "a--b", "A", "a_b", "a.b", "a/b", "a".repeat(65)])
    assert.ok(skillNameProblem(bad), bad);
});
