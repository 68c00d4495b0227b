// Installing skills for real: from a local git repository (file://) made here, pinned at a
// commit that "update" moves; from archives; refusals with a message that names the problem
// (an unreachable repository, no SKILL.md, a missing subpath, a taken name, a 500 MB
// archive refused part way); and removal.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Header } from "tar";
import { dataPaths, installedSkillsDir, skillsLockFile } from "../../src/data-layout.ts";
import { createLogger, RecentLines } from "../../src/log.ts";
import { gitUrlProblem, refProblem } from "../../src/skills/git-source.ts";
import { SkillProblem } from "../../src/skills/skill-files.ts";
import { Skills } from "../../src/skills/skills.ts";

const work = mkdtempSync(join(tmpdir(), "pincer-skills-"));
const dataDir = join(work, "data");
const paths = dataPaths(dataDir);
const repo = join(work, "repo");
const url = `file://${repo}`;

function git(...args: string[]): string {
  return execFileSync("git", ["-C", repo, ...args], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.invalid",
    },
  }).trim();
}

function commit(files: Record<string, string>, message: string): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(repo, path, ".."), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  git("add", "-A");
  git("commit", "-q", "-m", message);
  return git("rev-parse", "HEAD");
}

const skillMd = (name: string, text: string) =>
  `---\nname: ${name}\ndescription: ${text}\n---\n${text}\n`;

async function problem(promise: Promise<unknown>, message: RegExp): Promise<SkillProblem> {
  const error = await promise.then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SkillProblem, String(error));
  assert.match(error.message, message);
  return error;
}

describe("skills from a git repository and archives", () => {
  let skills: Skills;
  let first: string;

  before(() => {
    mkdirSync(repo, { recursive: true });
    git("init", "-q", "-b", "main");
    first = commit(
      {
        "skills/pdf/SKILL.md": skillMd("pdf-tools", "Fill PDF forms, version one."),
        "skills/pdf/fill.sh": "echo one\n",
        "README.md": "a repository of skills\n",
      },
      "one",
    );
    skills = new Skills({
      paths,
      bundledNames: async () => ["remember"],
      logger: createLogger("silent", { write: () => undefined }, new RecentLines(10)),
    });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("installs from a subpath, pinned at the commit fetched", async () => {
    const skill = await skills.installFromGit({ url, subpath: "skills/pdf" }, null);
    assert.equal(skill.name, "pdf-tools");
    assert.equal(skill.commit, first);
    assert.equal(skill.group, null);
    assert.deepEqual(skill.source, { type: "git", url, ref: null, subpath: "skills/pdf" });
    const lock = JSON.parse(readFileSync(skillsLockFile(paths), "utf8")) as {
      skills: { name: string; commit: string }[];
    };
    assert.deepEqual(
      lock.skills.map((s) => [s.name, s.commit]),
      [["pdf-tools", first]],
    );
    const installed = join(installedSkillsDir(paths), "pdf-tools");
    assert.equal(readFileSync(join(installed, "fill.sh"), "utf8"), "echo one\n");
    assert.ok(!existsSync(join(installed, "README.md")), "only the subpath is installed");
    // Nothing is left in staging.
    assert.deepEqual(
      execFileSync("ls", ["-A", join(dataDir, "store/skills/staging")], { encoding: "utf8" }),
      "",
    );
  });

  it("stays at its pin when the repository moves on, and update moves the pin", async () => {
    const second = commit(
      {
        "skills/pdf/SKILL.md": skillMd("pdf-tools", "Fill PDF forms, version two."),
        "skills/pdf/fill.sh": "echo two\n",
      },
      "two",
    );
    const before = await skills.forGroup("family");
    assert.deepEqual(before?.names, ["pdf-tools"]);
    const installed = join(installedSkillsDir(paths), "pdf-tools");
    assert.equal(readFileSync(join(installed, "fill.sh"), "utf8"), "echo one\n");
    assert.equal((await skills.list())[0]?.commit, first);

    const { skill, previousCommit } = await skills.update("pdf-tools");
    assert.equal(previousCommit, first);
    assert.equal(skill.commit, second);
    assert.equal(skill.description, "Fill PDF forms, version two.");
    assert.equal(readFileSync(join(installed, "fill.sh"), "utf8"), "echo two\n");
    assert.equal((await skills.list())[0]?.commit, second);
  });

  it("pins a ref given as a commit, for one group only", async () => {
    commit({ "one/SKILL.md": skillMd("one-group", "For the family only.") }, "three");
    const pinned = git("rev-parse", "HEAD");
    const skill = await skills.installFromGit({ url, ref: pinned, subpath: "one" }, "family");
    assert.equal(skill.commit, pinned);
    assert.deepEqual((await skills.forGroup("family"))?.names.sort(), ["one-group", "pdf-tools"]);
    assert.deepEqual((await skills.forGroup("work"))?.names, ["pdf-tools"]);
  });

  it("names what is wrong: unreachable, no SKILL.md, no such folder, a taken name", async () => {
    await problem(
      skills.installFromGit({ url: `file://${join(work, "nowhere")}` }, null),
      /url: there is no repository at .*nowhere/,
    );
    const notRepo = join(work, "not-a-repo");
    mkdirSync(notRepo);
    await problem(
      skills.installFromGit({ url: `file://${notRepo}` }, null),
      /could not fetch file:\/\/.*not-a-repo: .*does not appear to be a git repository/,
    );
    await problem(
      skills.installFromGit({ url }, null),
      /has no SKILL\.md at its top \(or in its one top folder\)/,
    );
    await problem(
      skills.installFromGit({ url, subpath: "skills/nope" }, null),
      /has no folder "skills\/nope"/,
    );
    await problem(
      skills.installFromGit({ url, ref: "no-such-branch" }, null),
      /could not fetch .*\(no-such-branch\): .*no-such-branch/,
    );
    const taken = await problem(
      skills.installFromGit({ url, subpath: "skills/pdf" }, null),
      /a skill named "pdf-tools" is already installed/,
    );
    assert.equal(taken.status, 409);
    commit({ "mine/SKILL.md": skillMd("remember", "Shadows a bundled skill.") }, "four");
    await problem(
      skills.installFromGit({ url, subpath: "mine" }, null),
      /"remember" is the name of a skill that comes with Pincer/,
    );
  });

  it("checks URLs and refs before git sees them", () => {
    const owner = { owner: true, dataDir };
    const agent = { owner: false, dataDir };
    for (const good of [
      "https://github.com/anthropics/skills.git",
      "git@github.com:anthropics/skills.git",
      "ssh://git@example.com/x/y",
    ])
      assert.equal(gitUrlProblem(good, agent), undefined, good);
    assert.equal(gitUrlProblem(url, owner), undefined);
    assert.match(gitUrlProblem(url, agent)!, /file:\/\/ repository can only be added by the owner/);
    assert.match(gitUrlProblem(`file://${dataDir}/groups/main/repo`, owner)!, /inside DATA_DIR/);
    for (const bad of [
      "ext::sh -c touch% /tmp/pwned",
      "-uhttps://x/y",
      "/srv/repo",
      "ftp://x/y",
      "ssh://-oProxyCommand=touch%20x/y",
      "ssh://git@-oProxyCommand=x/y",
      "-oProxyCommand=x@host:path",
      "git@-host:path",
    ])
      assert.match(gitUrlProblem(bad, owner)!, /expected a git URL/, bad);
    assert.equal(refProblem("v1.2.0"), undefined);
    assert.match(refProblem("--upload-pack=touch")!, /ref: expected/);
  });

  it("runs git only on local folders nobody else can change", async () => {
    const link = join(work, "link-to-repo");
    symlinkSync(repo, link);
    await problem(
      skills.installFromGit({ url: `file://${link}`, subpath: "skills/pdf" }, null),
      /link-to-repo is a link; give the repository's real path/,
    );
    const open = join(work, "open");
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    await problem(
      skills.installFromGit({ url: `file://${open}/repo` }, null),
      /open can be changed by another user/,
    );
    if (process.getuid?.() === 0) {
      const agents = join(work, "agents-own");
      mkdirSync(agents);
      chownSync(agents, 54321, 54321);
      await problem(
        skills.installFromGit({ url: `file://${agents}` }, null),
        /agents-own can be changed by another user/,
      );
    }
  });

  it("installs an uploaded archive and refuses a 500 MB one part way", async () => {
    const dir = join(work, "upload", "notes");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "SKILL.md"), skillMd("notes", "Keeps notes."));
    const archive = execFileSync("tar", ["-cz", "-C", join(work, "upload"), "notes"]);
    const skill = await skills.installFromArchive(Readable.from([archive]), {
      fileName: "notes.tar.gz",
      subpath: null,
      group: null,
    });
    assert.equal(skill.name, "notes");
    assert.equal(skill.commit, null);
    assert.match(skill.sha256, /^[0-9a-f]{64}$/);

    // A tar whose one file claims 500 MB, then zeros: read only until a limit says no.
    let served = 0;
    async function* huge() {
      const header = Buffer.alloc(512);
      new Header({ path: "big.bin", type: "File", size: 500 * 1024 * 1024, mode: 0o644 }).encode(
        header,
      );
      yield header;
      for (;;) {
        served += 1024 * 1024;
        yield Buffer.alloc(1024 * 1024);
      }
    }
    const refusal = await problem(
      skills.installFromArchive(huge(), { fileName: "huge.tar", subpath: null, group: null }),
      /big\.bin is larger than 5 MB/,
    );
    assert.equal(refusal.status, 413);
    assert.ok(served < 64 * 1024 * 1024, `read ${served} bytes of it`);
  });

  it("removes a skill, and says so when there is none", async () => {
    const removed = await skills.remove("one-group");
    assert.equal(removed.name, "one-group");
    assert.ok(!existsSync(join(installedSkillsDir(paths), "one-group")));
    assert.deepEqual((await skills.forGroup("family"))?.names.sort(), ["notes", "pdf-tools"]);
    assert.equal(
      (await problem(skills.remove("one-group"), /no skill named "one-group"/)).status,
      404,
    );
    await problem(skills.update("notes"), /was uploaded, so there is nothing to update it from/);
  });
});
