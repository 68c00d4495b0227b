import { test } from "node:test";
import assert from "node:assert/strict";
import { splitMessage } from "../../src/channels/split.ts";
import { seededRandom } from "../helpers/random.ts";

const FENCE_LINE = /^(```|~~~)(\S*)$/;

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

test("a text within the limit is one chunk, unchanged", () => {
  assert.deepEqual(splitMessage("Hello there, how are you?", 100), ["Hello there, how are you?"]);
});

test("a limit below 32 is refused", () => {
  assert.throws(() => splitMessage("hello", 31), RangeError);
});

test("cuts at a paragraph break rather than a line or a word", () => {
  const first = "First paragraph that is fairly long.";
  const second = "Second line one\nsecond line two and more words here.";
  const chunks = splitMessage(`${first}\n\n${second}`, 60);
  assert.equal(chunks[0], first);
  assert.ok(chunks.every((chunk) => chunk.length <= 60));
  assert.deepEqual(words(chunks.join(" ")), words(`${first} ${second}`));
});

test("cuts between words when a line is longer than the limit", () => {
  const text = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
  const chunks = splitMessage(text, 50);
  assert.ok(chunks.length > 1);
  for (const chunk of chunks) {
    assert.ok(chunk.length <= 50, chunk);
    assert.ok(!chunk.startsWith(" ") && !chunk.endsWith(" "));
  }
  assert.deepEqual(words(chunks.join(" ")), words(text));
});

test("a word longer than the limit is cut hard, keeping every character", () => {
  const word = "x".repeat(130);
  const chunks = splitMessage(word, 50);
  assert.ok(chunks.every((chunk) => chunk.length <= 50));
  assert.equal(chunks.join(""), word);
});

test("a code block cut in two is closed and reopened with its language", () => {
  const code = Array.from({ length: 12 }, (_, i) => `const value${i} = compute(${i});`).join("\n");
  const chunks = splitMessage(`Here you go:\n\n\`\`\`ts\n${code}\n\`\`\`\nDone.`, 120);
  assert.ok(chunks.length >= 3);
  for (const [index, chunk] of chunks.entries()) {
    assert.ok(chunk.length <= 120);
    const lines = chunk.split("\n");
    const fences = lines.filter((line) => FENCE_LINE.test(line));
    assert.equal(fences.length % 2, 0, `chunk ${index} leaves a code block open: ${chunk}`);
    if (index > 0 && index < chunks.length - 1) {
      assert.equal(lines[0], "```ts");
      assert.equal(lines.at(-1), "```");
    }
  }
  const codeLines = chunks
    .join("\n")
    .split("\n")
    .filter((line) => line.startsWith("const "));
  assert.deepEqual(codeLines, code.split("\n"));
});

test("a ~~~ block is reopened with ~~~ and its info string", () => {
  const code = Array.from({ length: 10 }, (_, i) => `print("line ${i}")`).join("\n");
  const chunks = splitMessage(`~~~python\n${code}\n~~~`, 80);
  assert.ok(chunks.length > 1);
  for (const chunk of chunks) {
    assert.ok(chunk.startsWith("~~~python\n"), chunk);
    assert.ok(chunk.endsWith("\n~~~"), chunk);
  }
});

test("indentation of a code line that starts a continued chunk is kept", () => {
  const body = Array.from({ length: 12 }, (_, i) => `    x${i} = compute(${i})`).join("\n");
  const chunks = splitMessage(`\`\`\`python\ndef f():\n${body}\n\`\`\``, 80);
  assert.ok(chunks.length > 1);
  const codeLines = chunks
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.includes("compute"));
  assert.deepEqual(codeLines, body.split("\n"));
});

// Property test. Prose words start with "p"; code words start with "c<block>", and block b
// is fenced with info "l<block>" (or none), so each chunk can be checked on its own:
// every code word must sit inside a fence of its own block's marker and language,
// every prose word outside any fence.
interface Generated {
  text: string;
  blocks: Map<number, { marker: string; info: string }>;
  endsOpen: boolean;
}

function generate(random: () => number): Generated {
  const pick = (n: number) => Math.floor(random() * n);
  const letters = (n: number) =>
    Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz"[pick(26)]).join("");
  const blocks = new Map<number, { marker: string; info: string }>();
  const parts: string[] = [];
  const paragraphs = 1 + pick(12);
  let endsOpen = false;
  for (let p = 0; p < paragraphs; p++) {
    if (random() < 0.4) {
      const id = blocks.size;
      const marker = random() < 0.7 ? "```" : "~~~";
      const info = random() < 0.8 ? `l${id}` : "";
      blocks.set(id, { marker, info });
      const lines: string[] = [];
      for (let l = 0, n = 1 + pick(15); l < n; l++) {
        if (random() < 0.1) {
          lines.push("");
          continue;
        }
        const indent = " ".repeat(pick(3) * 2);
        const line = Array.from({ length: 1 + pick(6) }, () => `c${id}${letters(1 + pick(4))}`);
        lines.push(indent + line.join(" "));
      }
      const last = p === paragraphs - 1 && random() < 0.3;
      endsOpen = last;
      parts.push(`${marker}${info}\n${lines.join("\n")}${last ? "" : `\n${marker}`}`);
    } else {
      const lines = Array.from({ length: 1 + pick(5) }, () =>
        Array.from({ length: 1 + pick(14) }, () => `p${letters(1 + pick(7))}`).join(" "),
      );
      parts.push(lines.join("\n"));
    }
    if (p < paragraphs - 1) parts.push(random() < 0.7 ? "\n\n" : "\n");
  }
  return { text: parts.join(""), blocks, endsOpen };
}

function checkChunk(chunk: string, generated: Generated, isLast: boolean): string[] {
  let open: { marker: string; info: string } | null = null;
  const tokens: string[] = [];
  for (const line of chunk.split("\n")) {
    const fence = FENCE_LINE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      if (open === null) open = { marker, info: fence[2]! };
      else if (open.marker === marker) open = null;
      continue;
    }
    for (const token of words(line)) {
      tokens.push(token);
      const code = /^c(\d+)/.exec(token);
      if (code) {
        const block = generated.blocks.get(Number(code[1]));
        assert.deepEqual(open, block, `code word ${token} outside its block in ${chunk}`);
      } else {
        assert.equal(open, null, `prose word ${token} inside a code block in ${chunk}`);
      }
    }
  }
  if (!isLast || !generated.endsOpen)
    assert.equal(open, null, `chunk ends inside a block: ${chunk}`);
  return tokens;
}

test("property: chunks fit, keep every word in order and render on their own", () => {
  const random = seededRandom(0x5eed);
  for (let run = 0; run < 400; run++) {
    const generated = generate(random);
    const limit = 40 + Math.floor(random() * 360);
    const context = `run ${run}, limit ${limit}: ${JSON.stringify(generated.text)}`;
    const chunks = splitMessage(generated.text, limit);
    assert.ok(chunks.length > 0, context);
    const tokens: string[] = [];
    for (const [index, chunk] of chunks.entries()) {
      assert.ok(chunk.length <= limit, `${context}\nchunk ${index} has ${chunk.length} chars`);
      assert.ok(chunk.trim().length > 0, context);
      tokens.push(...checkChunk(chunk, generated, index === chunks.length - 1));
    }
    const expected = words(
      generated.text
        .split("\n")
        .filter((line) => !FENCE_LINE.test(line))
        .join("\n"),
    );
    assert.deepEqual(tokens, expected, context);
  }
});

// A bug found in review, pinned by a test that failed before its fix.
test("split neither sends an empty code block nor overruns the limit with a long info string", () => {
  const chunks = splitMessage("```js\n" + "a".repeat(30) + "\n```\nafter", 40);
  assert.ok(!chunks.some((chunk) => /^```\w*\n```$/.test(chunk)), JSON.stringify(chunks));
  const long = splitMessage("```" + "x".repeat(60) + "\n" + "code line\n".repeat(20) + "```", 40);
  assert.ok(
    long.every((chunk) => chunk.length <= 40),
    JSON.stringify(long),
  );
});
