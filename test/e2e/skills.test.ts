// Skills end to end, with the service as a process: a skill installed from a local git
// repository lands in the agent's own skills folder next to the bundled ones; bad installs
// are refused with a message naming the problem (a link out of the folder, a 500 MB
// archive, no SKILL.md, an unreachable repository); the main agent's request waits for the
// owner and installs once approved (over git://, from a git daemon on 127.0.0.1); update
// moves the pin; a removed skill leaves the agent's folder at its next start.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { createServer, connect } from "node:net";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { Header } from "tar";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  echoResponder,
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
} from "../fakes/anthropic/server.ts";
import { api, listen, removeDir, sendChat, startService, tempDir, waitFor } from "./harness.ts";
import type { Service } from "./harness.ts";

const work = tempDir("pincer-skills-src-");
const repo = join(work, "repo.git");
const dataDir = tempDir();
let service: Service;

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

function commit(files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(repo, path, ".."), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  git("add", "-A");
  git("commit", "-q", "-m", "change");
  return git("rev-parse", "HEAD");
}

const skillMd = (name: string, text: string) =>
  `---\nname: ${name}\ndescription: ${text}\n---\n${text}\n`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const skillsDirOf = (folder: string) => join(dataDir, "agents", folder, ".claude", "skills");

/** POSTs the tar `entries` make, gzip-compressed, as a stream with no declared length. */
async function streamUpload(entries: () => Generator<Buffer>) {
  const gzip = Readable.from(entries()).pipe(createGzip());
  const response = await fetch(`${service.url}/api/skills`, {
    method: "POST",
    headers: { authorization: `Bearer ${service.token}`, "content-type": "application/gzip" },
    body: Readable.toWeb(gzip) as ReadableStream<Uint8Array>,
    duplex: "half",
  } as RequestInit);
  // The service reads a refused upload to its end, so the stream finishes on its own.
  return { response };
}

const PINCER = fileURLToPath(new URL("../../bin/pincer", import.meta.url));

/** Runs the pincer command against the service. */
function pincer(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(PINCER, args, {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PINCER_URL: service.url,
      PINCER_TOKEN: service.token,
    },
    cwd: work,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

describe("skills", () => {
  let fake: AnthropicFake;
  let daemon: ChildProcess | undefined;
  let daemonUrl = "";
  let first = "";

  before(async () => {
    mkdirSync(repo, { recursive: true });
    git("init", "-q", "-b", "main");
    first = commit({
      "skills/pdf/SKILL.md": skillMd("pdf-tools", "Fills PDF forms, version one."),
      "skills/pdf/fill.sh": "echo one\n",
      "agent/SKILL.md": skillMd("from-agent", "Asked for by the agent."),
    });
    const port = await freePort();
    daemon = spawn(
      "git",
      [
        "daemon",
        "--reuseaddr",
        "--export-all",
        `--base-path=${work}`,
        "--listen=127.0.0.1",
        `--port=${port}`,
        work,
      ],
      { stdio: "ignore" },
    );
    await waitFor(
      () =>
        new Promise<true | undefined>((resolve) => {
          const socket = connect(port, "127.0.0.1", () => {
            socket.destroy();
            resolve(true);
          });
          socket.on("error", () => resolve(undefined));
        }),
      "the git daemon",
    );
    daemonUrl = `git://127.0.0.1:${port}/repo.git`;

    fake = await startAnthropicFake();
    fake.setResponder((request, context) => {
      const text = lastUserText(request);
      if (context.main && text.includes("please ask for the skill") && !isToolResultTurn(request))
        return {
          toolUse: {
            name: "mcp__pincer__request_skill",
            input: { url: daemonUrl, subpath: "agent", reason: "the owner wants it" },
          },
        };
      if (isToolResultTurn(request)) return { text: "asked" };
      return echoResponder(request, context);
    });
    service = await startService({ dataDir, env: modelEnv() });
  });
  after(async () => {
    await service?.stop();
    await fake?.close();
    daemon?.kill();
    removeDir(dataDir);
    removeDir(work);
  });

  const modelEnv = () => ({
    ANTHROPIC_API_KEY: "sk-ant-skills-e2e-0000",
    ANTHROPIC_BASE_URL: fake.url,
  });

  it("installs from a git repository, and the skill reaches the agent's skills folder", async () => {
    const response = await api(service, "/api/skills", {
      method: "POST",
      body: JSON.stringify({ url: `file://${repo}`, subpath: "skills/pdf" }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const { skill } = (await response.json()) as { skill: { name: string; commit: string } };
    assert.equal(skill.name, "pdf-tools");
    assert.equal(skill.commit, first);

    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "hello");
    await waitFor(() => sse.messages()[0], "a reply");
    await sse.close();
    const skills = skillsDirOf("main");
    assert.equal(readFileSync(join(skills, "pdf-tools", "fill.sh"), "utf8"), "echo one\n");
    assert.ok(existsSync(join(skills, "remember", "SKILL.md")), "the bundled skill is there too");
    // The CLI offered it to the model.
    const offered = JSON.stringify(fake.mainRequests().at(-1)!.body);
    assert.match(offered, /pdf-tools/);
  });

  it("refuses bad installs with a message that names the problem", async () => {
    const escaping = join(work, "escaping");
    mkdirSync(escaping);
    writeFileSync(join(escaping, "SKILL.md"), skillMd("escaping", "Links out."));
    symlinkSync("../../../store/pincer.db", join(escaping, "db"));
    const tarball = execFileSync("tar", ["-cz", "-C", escaping, "."]);
    const post = (body: string | Buffer, headers: Record<string, string>, query = "") =>
      api(service, `/api/skills${query}`, { method: "POST", body, headers });

    const link = await post(
      tarball,
      { "content-type": "application/gzip" },
      "?fileName=escaping.tar.gz",
    );
    assert.equal(link.status, 400);
    assert.match(
      await errorOf(link),
      /escaping\.tar\.gz was refused: db links to "\.\.\/\.\.\/\.\.\/store\/pincer\.db", outside the skill's folder/,
    );

    // A declared 500 MB is refused before a byte of it is read.
    const declared = await new Promise<IncomingMessage>((resolve, reject) => {
      const url = new URL(`${service.url}/api/skills`);
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          authorization: `Bearer ${service.token}`,
          "content-type": "application/gzip",
          "content-length": String(500 * 1024 * 1024),
        },
      });
      request.on("response", resolve);
      request.on("error", reject);
      request.write(Buffer.alloc(16));
    });
    assert.equal(declared.statusCode, 413);
    declared.destroy();

    // Streamed without a declared length: 500 MB of zeros in a tar.gz is refused as a
    // zip bomb; 24 MB of incompressible files by the upload's size.
    const big = await streamUpload(function* () {
      const header = Buffer.alloc(512);
      new Header({ path: "big.bin", type: "File", size: 500 * 1024 * 1024 }).encode(header);
      yield header;
      for (let i = 0; i < 500; i++) yield Buffer.alloc(1024 * 1024);
    });
    assert.equal(big.response.status, 413);
    assert.match(await errorOf(big.response), /expands more than 1000 times its size: refused/);
    const many = await streamUpload(function* () {
      for (let i = 0; i < 24; i++) {
        const header = Buffer.alloc(512);
        new Header({ path: `part-${i}.bin`, type: "File", size: 1024 * 1024 }).encode(header);
        yield header;
        yield randomBytes(1024 * 1024);
      }
    });
    assert.equal(many.response.status, 413);
    assert.match(await errorOf(many.response), /the archive is larger than 20 MB/);

    const noSkill = await post(JSON.stringify({ url: `file://${repo}` }), {});
    assert.equal(noSkill.status, 400);
    assert.match(await errorOf(noSkill), /has no SKILL\.md at its top/);

    const unreachable = await post(JSON.stringify({ url: `file://${work}/missing.git` }), {});
    assert.equal(unreachable.status, 400);
    assert.match(await errorOf(unreachable), /url: there is no repository at .*missing\.git/);

    // Nothing listens there: git cannot connect.
    const closed = `git://127.0.0.1:${await freePort()}/skills.git`;
    const refusedConnection = await post(JSON.stringify({ url: closed }), {});
    assert.equal(refusedConnection.status, 400);
    assert.match(
      await errorOf(refusedConnection),
      /could not fetch git:\/\/127\.0\.0\.1:\d+\/skills\.git: unable to connect/,
    );

    const intoData = await post(JSON.stringify({ url: `file://${dataDir}/groups/main` }), {});
    assert.equal(intoData.status, 400);
    assert.match(await errorOf(intoData), /inside DATA_DIR is refused/);

    const noGroup = await post(JSON.stringify({ url: `file://${repo}`, group: "nobody" }), {});
    assert.equal(noGroup.status, 400);
    assert.match(await errorOf(noGroup), /group: no group with folder "nobody"/);

    const list = (await (await api(service, "/api/skills")).json()) as {
      skills: { name: string }[];
    };
    assert.deepEqual(
      list.skills.map((s) => s.name),
      ["pdf-tools"],
    );
  });

  it("files the main agent's request, which installs once the owner approves it", async () => {
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "please ask for the skill");
    await waitFor(() => sse.messages().find((m) => m.text === "asked"), "the agent's answer");
    await sse.close();
    const listed = (await (await api(service, "/api/skills")).json()) as {
      skills: { name: string }[];
      requests: { id: number; url: string; status: string }[];
    };
    assert.deepEqual(
      listed.skills.map((s) => s.name),
      ["pdf-tools"],
      "nothing installed yet",
    );
    const [request] = listed.requests;
    assert.equal(request?.url, daemonUrl);
    assert.equal(request?.status, "pending");

    const approved = await api(service, `/api/skills/requests/${request.id}/approve`, {
      method: "POST",
    });
    assert.equal(approved.status, 201, await approved.clone().text());
    assert.equal(((await approved.json()) as { skill: { name: string } }).skill.name, "from-agent");
    const again = await api(service, `/api/skills/requests/${request.id}/approve`, {
      method: "POST",
    });
    assert.equal(again.status, 409);
  });

  it("update moves the pin; a removed skill is gone from the agent at its next start", async () => {
    const second = commit({ "skills/pdf/fill.sh": "echo two\n" });
    const updated = await api(service, "/api/skills/pdf-tools/update", { method: "POST" });
    assert.equal(updated.status, 200);
    const body = (await updated.json()) as { skill: { commit: string }; previousCommit: string };
    assert.equal(body.previousCommit, first);
    assert.equal(body.skill.commit, second);

    const removed = await api(service, "/api/skills/pdf-tools", { method: "DELETE" });
    assert.equal(removed.status, 200);
    const missing = await api(service, "/api/skills/pdf-tools", { method: "DELETE" });
    assert.equal(missing.status, 404);
    assert.match(await errorOf(missing), /no skill named "pdf-tools" is installed/);

    // A skill the agent made itself is its own: Pincer leaves it alone.
    const own = join(skillsDirOf("main"), "own-notes");
    mkdirSync(own);
    writeFileSync(join(own, "SKILL.md"), skillMd("own-notes", "The agent's own."));

    assert.equal(await service.stop(), 0);
    service = await startService({ dataDir, env: modelEnv() });
    const sse = listen(service);
    await sse.ready;
    await sendChat(service, "are you back?");
    await waitFor(() => sse.messages()[0], "a reply after the restart");
    await sse.close();
    const skills = skillsDirOf("main");
    assert.ok(!existsSync(join(skills, "pdf-tools")), "the removed skill is gone");
    assert.ok(existsSync(join(skills, "from-agent", "SKILL.md")));
    assert.ok(existsSync(join(skills, "own-notes", "SKILL.md")), "the agent's own skill stays");
    assert.ok(existsSync(join(skills, "remember", "SKILL.md")));
  });

  it("pincer skills lists, adds from git and from a .tar.gz, updates and removes", async () => {
    const added = await pincer([
      "skills",
      "add",
      `file://${repo}`,
      "--subpath",
      "skills/pdf",
      "--group",
      "main",
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      /^Installed pdf-tools for main, from file:\/\/.*repo\.git \(skills\/pdf\), pinned at [0-9a-f]{12}\./,
    );

    const folder = join(work, "upload", "notes");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "SKILL.md"), skillMd("notes", "Keeps notes."));
    execFileSync("tar", ["-czf", join(work, "notes.tar.gz"), "-C", join(work, "upload"), "notes"]);
    const uploaded = await pincer(["skills", "add", "notes.tar.gz"]);
    assert.equal(uploaded.code, 0, uploaded.stderr);
    assert.match(
      uploaded.stdout,
      /^Installed notes for every group, from upload notes\.tar\.gz, pinned at sha256 /,
    );

    const list = await pincer(["skills"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME +FOR +SOURCE +PIN +UPDATED$/m);
    assert.match(list.stdout, /^pdf-tools +main +file:\/\//m);
    assert.match(list.stdout, /^notes +every group +upload notes\.tar\.gz/m);

    const same = await pincer(["skills", "update", "pdf-tools"]);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /pdf-tools is already at the newest commit/);

    const bad = await pincer(["skills", "add", `file://${work}/missing.git`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /url: there is no repository at .*missing\.git/);

    for (const name of ["pdf-tools", "notes"]) {
      const removed = await pincer(["skills", "remove", name]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, new RegExp(`^Removed ${name}\\.`));
    }
  });
});
