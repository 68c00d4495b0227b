// A skill read out of a tar(.gz): where its folder is, what it holds, and everything that is
// refused (links that leave the folder, hard links, devices, FIFOs, climbing paths, too many
// or too large files, a SKILL.md without its fields). Archives are made by GNU tar.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  createReadStream,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  readSkillTar,
  SkillProblem,
  writeSkillFiles,
  type SkillLimits,
} from "../../src/skills/skill-files.ts";

const work = mkdtempSync(join(tmpdir(), "pincer-skill-files-"));
after(() => rmSync(work, { recursive: true, force: true }));
let count = 0;

const SKILL_MD = "---\nname: pdf-tools\ndescription: Fill PDF forms.\n---\nUse pdftk.\n";

/** A folder with `files` (path → content, or a function that makes the entry). */
function folder(files: Record<string, string | ((path: string) => void)>): string {
  const dir = join(work, `src-${++count}`);
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(join(target, ".."), { recursive: true });
    if (typeof content === "string") writeFileSync(target, content);
    else content(target);
  }
  return dir;
}

/** A tar.gz of `dir`'s contents, with GNU tar's own extra arguments. */
function archive(dir: string, extra: string[] = [], members = ["."]): string {
  const file = join(work, `a-${++count}.tar.gz`);
  execFileSync("tar", ["-czPf", file, "-C", dir, ...extra, ...members]);
  return file;
}

const read = (file: string, options: { subpath?: string; limits?: SkillLimits } = {}) =>
  readSkillTar(createReadStream(file), { source: "the upload", ...options });

async function refused(file: string, message: RegExp, options = {}): Promise<SkillProblem> {
  const error = await read(file, options).then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SkillProblem, String(error));
  assert.match(error.message, message);
  return error;
}

describe("reading a skill archive", () => {
  it("finds the skill at the top, in its one top folder, or in a subpath", async () => {
    const top = await read(archive(folder({ "SKILL.md": SKILL_MD, "scripts/fill.sh": "x" })));
    assert.equal(top.header.name, "pdf-tools");
    assert.deepEqual(top.entries.map((e) => e.path).sort(), [
      "SKILL.md",
      "scripts",
      "scripts/fill.sh",
    ]);
    assert.equal(top.files, 2);

    const nested = await read(archive(folder({ "pdf/SKILL.md": SKILL_MD, "pdf/a.txt": "a" })));
    assert.deepEqual(nested.entries.map((e) => e.path).sort(), ["SKILL.md", "a.txt"]);

    const sub = await read(
      archive(folder({ "skills/pdf/SKILL.md": SKILL_MD, "other/README": "no" })),
      { subpath: "skills/pdf" },
    );
    assert.deepEqual(
      sub.entries.map((e) => e.path),
      ["SKILL.md"],
    );
  });

  it("keeps links inside the folder, and writes the skill with links last", async () => {
    const dir = folder({
      "SKILL.md": SKILL_MD,
      "docs/guide.md": "guide",
      "run.sh": (path) => writeFileSync(path, "#!/bin/sh\n", { mode: 0o755 }),
      "docs/readme": (path) => symlinkSync("../SKILL.md", path),
      here: (path) => symlinkSync(".", path),
    });
    const skill = await read(archive(dir));
    const out = join(work, `out-${++count}`);
    await writeSkillFiles(skill, out);
    assert.equal(readlinkSync(join(out, "docs/readme")), "../SKILL.md");
    assert.equal(readFileSync(join(out, "docs/guide.md"), "utf8"), "guide");
    assert.equal(lstatSync(join(out, "run.sh")).mode & 0o777, 0o755);
  });

  it("refuses links that leave the skill's folder, also through other links", async () => {
    for (const [name, target] of [
      ["up", "../../etc/passwd"],
      ["abs", "/etc/passwd"],
      ["parent", ".."],
    ] as const) {
      const dir = folder({ "SKILL.md": SKILL_MD, [name]: (p) => symlinkSync(target, p) });
      await refused(
        archive(dir),
        new RegExp(`${name} links to "${target.replace(/\./g, "\\.")}", outside`),
      );
    }
    // "here" is the folder itself, so "here/.." is its parent although the text looks inside.
    const sneaky = folder({
      "SKILL.md": SKILL_MD,
      here: (p) => symlinkSync(".", p),
      out: (p) => symlinkSync("here/..", p),
    });
    await refused(archive(sneaky), /out links to "here\/\.\.", outside/);
  });

  it("refuses hard links, FIFOs, devices and paths that climb out", async () => {
    const hard = folder({ "SKILL.md": SKILL_MD });
    execFileSync("ln", [join(hard, "SKILL.md"), join(hard, "copy.md")]);
    await refused(archive(hard), /hard links are refused/);

    const fifo = folder({ "SKILL.md": SKILL_MD });
    execFileSync("mkfifo", [join(fifo, "pipe")]);
    await refused(archive(fifo), /pipe: devices and FIFOs are refused/);

    if (process.getuid?.() === 0) {
      const device = folder({ "SKILL.md": SKILL_MD });
      execFileSync("mknod", [join(device, "null"), "c", "1", "3"]);
      await refused(archive(device), /null: devices and FIFOs are refused/);
    }

    const climbing = folder({ "SKILL.md": SKILL_MD, a: "x" });
    await refused(
      archive(climbing, ["--transform", "s,^\\./a$,../../evil,"]),
      /\.\.\/\.\.\/evil: leads outside/,
    );
    await refused(
      archive(climbing, ["--transform", "s,^\\./a$,/etc/evil,"]),
      /\/etc\/evil: absolute path/,
    );
  });

  it("refuses a missing or incomplete SKILL.md, and what is not a tar.gz", async () => {
    await refused(archive(folder({ "README.md": "no skill" })), /has no SKILL\.md at its top/);
    await refused(archive(folder({ "SKILL.md": "---\nname: x\n---\n" })), /no "description"/);
    await refused(archive(folder({ "a/SKILL.md": SKILL_MD })), /has no SKILL\.md in "b"/, {
      subpath: "b",
    });
    const garbage = join(work, "garbage.tar.gz");
    writeFileSync(garbage, "this is not an archive at all".repeat(40));
    await refused(garbage, /not a readable tar\.gz archive|is empty/);
  });

  it("refuses too many files, a file too large, and too much in all, with 413", async () => {
    const limits = { maxEntries: 3, maxFileBytes: 100, maxTotalBytes: 150 };
    const many = folder({ "SKILL.md": SKILL_MD, a: "1", b: "2", c: "3" });
    assert.equal(
      (await refused(archive(many), /more than 3 files and folders/, { limits })).status,
      413,
    );
    const big = folder({ "SKILL.md": SKILL_MD, "big.bin": "x".repeat(101) });
    assert.equal((await refused(archive(big), /big\.bin is larger than/, { limits })).status, 413);
    // A refused entry's bytes count too: nothing is unpacked for free.
    const climbing = folder({ "SKILL.md": SKILL_MD, "x.bin": "x".repeat(90) });
    const refusedToo = archive(climbing, ["--transform", "s,^\\./x\\.bin$,../x.bin,"]);
    assert.equal((await refused(refusedToo, /holds more than/, { limits })).status, 413);
    const total = folder({ "SKILL.md": SKILL_MD, "x.bin": "x".repeat(90) });
    assert.equal((await refused(archive(total), /holds more than/, { limits })).status, 413);
  });
});
