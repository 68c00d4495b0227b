// The image's invariants on the Dockerfile's text, and railway.json and .dockerignore
// alongside it: quick, and without root or buildah. test/deploy/image.test.ts builds and
// runs the image itself where it can.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Stages of a Dockerfile, with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (keyword.toUpperCase() === "FROM") {
      const [from = "", as, name] = rest;
      stages.push({ from, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    assert.ok(stage, `instruction before the first FROM: ${line}`);
    stage.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

const stages = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const runtime = stages.at(-1)!;
const args = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

test("multi-stage, every stage on Node 24 (Debian bookworm)", () => {
  assert.ok(stages.length >= 2, "a build stage and a runtime stage");
  for (const stage of stages) assert.match(stage.from, /^node:24-bookworm(-slim)?$/);
});

test("build stages install as the unprivileged node user", () => {
  for (const stage of stages.slice(0, -1)) {
    const userAt = stage.instructions.findIndex((i) => i.keyword === "USER");
    const npmAt = stage.instructions.findIndex((i) => /\bnpm ci\b/.test(i.args));
    assert.ok(npmAt >= 0, `stage ${stage.name} installs packages`);
    assert.equal(stage.instructions[userAt]?.args, "node", `stage ${stage.name} switches user`);
    assert.ok(userAt < npmAt, `stage ${stage.name} switches user before npm ci`);
  }
});

test("the runtime stage ships production dependencies only", () => {
  assert.equal(
    args(runtime, "RUN").some((run) => /\bnpm (ci|install|i)\b/.test(run)),
    false,
    "no install in the runtime stage",
  );
  const nodeModules = args(runtime, "COPY").filter((copy) => /node_modules/.test(copy));
  assert.equal(nodeModules.length, 1, "node_modules comes from one place");
  const from = /--from=(\S+)/.exec(nodeModules[0]!)?.[1];
  const source = stages.find((stage) => stage.name === from);
  assert.ok(source, `node_modules comes from a stage (${from})`);
  const installs = args(source, "RUN").filter((run) => /\bnpm ci\b/.test(run));
  assert.ok(installs.length > 0, `stage ${from} runs npm ci`);
  for (const install of installs) {
    assert.match(install, /npm ci --omit=dev\b/);
    assert.doesNotMatch(install, /--omit=optional|--no-optional/, "the CLI is optional");
  }
});

test("runtime: tini as PID 1, the service as CMD, Chromium with emoji and CJK fonts, jemalloc", () => {
  assert.deepEqual(args(runtime, "ENTRYPOINT"), ['["/usr/bin/tini", "--"]']);
  assert.deepEqual(args(runtime, "CMD"), ['["sh", "scripts/serve.sh"]']);
  const apt = args(runtime, "RUN").find((run) => /apt-get install/.test(run)) ?? "";
  const packages = apt.split(/\s+/);
  for (const wanted of [
    "tini",
    "chromium",
    "fonts-noto-color-emoji",
    "fonts-noto-cjk",
    "libjemalloc2",
  ])
    assert.ok(packages.includes(wanted), `installs ${wanted}`);
  assert.match(apt, /--no-install-recommends/);
  assert.match(apt, /rm -rf \/var\/lib\/apt\/lists/);
});

test("runtime: state in /data, PORT exposed, no VOLUME (Railway refuses to build one)", () => {
  const env = args(runtime, "ENV").join(" ");
  assert.match(env, /\bDATA_DIR=\/data\b/);
  assert.match(env, /\bCHROMIUM_PATH=\/usr\/bin\/chromium\b/);
  assert.match(env, /\bNODE_ENV=production\b/);
  const port = /\bPORT=(\d+)\b/.exec(env)?.[1];
  assert.ok(port, "ENV PORT");
  assert.deepEqual(args(runtime, "EXPOSE"), [port]);
  assert.ok(args(runtime, "RUN").some((run) => /mkdir -p \/data\b/.test(run)));
  for (const stage of stages) assert.deepEqual(args(stage, "VOLUME"), []);
  assert.deepEqual(args(runtime, "USER"), [], "the service runs as root (per-group agent uids)");
});

test("every runtime COPY from the build stage names a path of the repo", () => {
  const fromBuild = args(runtime, "COPY").filter((copy) => /^--from=build /.test(copy));
  const shipped = fromBuild.map((copy) => {
    const match = /^--from=build \/app\/(\S+) \.\/(\S+)$/.exec(copy);
    assert.ok(match && match[1] === match[2], `COPY ${copy}: same path in /app as in the repo`);
    return match[1]!;
  });
  for (const path of ["package.json", "src", "dist", "skills"])
    assert.ok(shipped.includes(path), path);
  // dist/ is the one path the build stage makes rather than copies (scripts/build.sh).
  const build = stages.find((stage) => stage.name === "build")!;
  assert.ok(args(build, "RUN").some((run) => run.includes("sh scripts/build.sh")));
  for (const path of shipped)
    assert.ok(path === "dist" || existsSync(join(ROOT, path)), `${path} exists`);
});

test("railway.json builds the Dockerfile and checks /healthz", () => {
  const railway = JSON.parse(readFileSync(join(ROOT, "railway.json"), "utf8")) as {
    build: { builder: string; dockerfilePath: string };
    deploy: Record<string, unknown>;
  };
  assert.equal(railway.build.builder, "DOCKERFILE");
  assert.ok(existsSync(join(ROOT, railway.build.dockerfilePath)));
  assert.equal(railway.deploy.healthcheckPath, "/healthz");
  assert.equal(typeof railway.deploy.healthcheckTimeout, "number");
  assert.equal(railway.deploy.restartPolicyType, "ON_FAILURE");
  // Railway's default is 3 s between SIGTERM and SIGKILL: too short for a running turn.
  const draining = railway.deploy.drainingSeconds;
  assert.equal(typeof draining, "number");
  assert.ok((draining as number) > loadConfig({}).SHUTDOWN_GRACE_SECONDS);
});

test(".dockerignore keeps local installs, state and history out of the build", () => {
  const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
  for (const entry of ["node_modules", ".cache", "data", "test-artifacts", "bench/results", ".git"])
    assert.ok(ignored.includes(entry), entry);
});
