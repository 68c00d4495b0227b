// send_file's path checks on a real tree: what an agent may name in its folder, and the
// copy taken at the call that a later swap cannot change.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathInFolder, takeFile } from "../../src/core/send-file.ts";

function tree(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), "pincer-send-file-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const folder = join(root, "groups", "family");
  const other = join(root, "groups", "work");
  const filesDir = join(root, "store", "outbound-files");
  mkdirSync(folder, { recursive: true });
  mkdirSync(other, { recursive: true });
  const take = (given: string, channel: "web" | "telegram" = "web") =>
    takeFile({ folder, given, channel, filesDir });
  return { folder, other, filesDir, take };
}

function refusal(result: Awaited<ReturnType<typeof takeFile>>): string {
  assert.ok("error" in result, "refused");
  return result.error;
}

test("a path is taken relative to the folder, or absolute inside it", () => {
  assert.deepEqual(pathInFolder("/d/groups/f", "out/report.pdf"), { relative: "out/report.pdf" });
  assert.deepEqual(pathInFolder("/d/groups/f", "/d/groups/f/a.png"), { relative: "a.png" });
  assert.deepEqual(pathInFolder("/d/groups/f", "./x/../a.png"), { relative: "a.png" });
});

test("a path outside the folder is refused, naming it", () => {
  for (const given of ["../work/secret.txt", "/etc/passwd", "/d/groups/family2/x", "a/../../b"])
    assert.match(
      (pathInFolder("/d/groups/family", given) as { error: string }).error,
      /is outside your folder \(\/d\/groups\/family\)/,
    );
  assert.match((pathInFolder("/d/f", " ") as { error: string }).error, /Give the path/);
  assert.match((pathInFolder("/d/f", ".") as { error: string }).error, /your folder itself/);
});

test("a regular file is copied into the host's folder with its name, type and size", async (t) => {
  const { folder, filesDir, take } = tree(t);
  mkdirSync(join(folder, "out"));
  writeFileSync(join(folder, "out", "chart.png"), "PNG bytes");
  const result = await take("out/chart.png");
  assert.ok("file" in result);
  assert.equal(result.file.name, "chart.png");
  assert.equal(result.file.mimeType, "image/png");
  assert.equal(result.file.size, 9);
  assert.equal(readFileSync(join(filesDir, result.file.stored), "utf8"), "PNG bytes");
});

test("a change or swap after the call does not change what goes out", async (t) => {
  const { folder, filesDir, take } = tree(t);
  writeFileSync(join(folder, "report.txt"), "the real report");
  const result = await take("report.txt");
  assert.ok("file" in result);
  writeFileSync(join(folder, "report.txt"), "changed afterwards");
  rmSync(join(folder, "report.txt"));
  symlinkSync("/etc/passwd", join(folder, "report.txt"));
  assert.equal(readFileSync(join(filesDir, result.file.stored), "utf8"), "the real report");
});

test("a symbolic link to /etc/passwd or to another group's file is refused", async (t) => {
  const { folder, other, take } = tree(t);
  writeFileSync(join(other, "secret.txt"), "work secret");
  symlinkSync("/etc/passwd", join(folder, "passwd"));
  symlinkSync(join(other, "secret.txt"), join(folder, "secret.txt"));
  for (const name of ["passwd", "secret.txt"])
    assert.match(
      refusal(await take(name)),
      new RegExp(`^${name} is or passes through a symbolic link`),
    );
});

test("a folder that is a link (to another group's folder) is refused", async (t) => {
  const { folder, other, take } = tree(t);
  writeFileSync(join(other, "secret.txt"), "work secret");
  symlinkSync(other, join(folder, "work"));
  assert.match(refusal(await take("work/secret.txt")), /passes through a symbolic link/);
});

test("a hard link to another group's file is refused", async (t) => {
  const { folder, other, take } = tree(t);
  writeFileSync(join(other, "secret.txt"), "work secret");
  linkSync(join(other, "secret.txt"), join(folder, "secret.txt"));
  assert.match(refusal(await take("secret.txt")), /has other names \(a hard link\)/);
});

test("a FIFO is refused without blocking, a folder and a missing file by name", async (t) => {
  const { folder, take } = tree(t);
  execFileSync("mkfifo", [join(folder, "pipe")]);
  mkdirSync(join(folder, "reports"));
  assert.match(refusal(await take("pipe")), /pipe is not a regular file \(a FIFO/);
  assert.match(refusal(await take("reports")), /reports is a folder, not a regular file/);
  assert.equal(refusal(await take("nope.pdf")), "There is no file nope.pdf in your folder.");
  assert.equal(
    refusal(await take("nowhere/nope.pdf")),
    "There is no file nowhere/nope.pdf in your folder.",
  );
});

test("an empty file and one over the platform's limit are refused before any copy", async (t) => {
  const { folder, filesDir, take } = tree(t);
  writeFileSync(join(folder, "empty.txt"), "");
  writeFileSync(join(folder, "big.pdf"), "");
  truncateSync(join(folder, "big.pdf"), 60 * 1024 * 1024);
  assert.equal(refusal(await take("empty.txt")), "empty.txt is empty: there is nothing to send.");
  assert.equal(
    refusal(await take("big.pdf", "telegram")),
    "big.pdf is 60 MB; Telegram bots can send at most 50 MB.",
  );
  assert.throws(() => readFileSync(filesDir), /ENOENT/);
});
