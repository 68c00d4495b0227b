// The image users deploy, for real: the repo's Dockerfile built with buildah, run as the
// image says (ENTRYPOINT + CMD: tini, then the service), on a fresh /data, with the hard
// open-files limit a container without CAP_SYS_RESOURCE may have. A chat goes through an
// agent in it against the fake model: the agent is not root, /readyz is 200, and the
// service's environment block under tini holds no secret. Needs root and buildah, and the
// base image in buildah's store (.ci/run sets both up; no registry is needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  toolResults,
} from "../fakes/anthropic/server.ts";
import { listen, sendChat, waitFor, type Service } from "../e2e/harness.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BASE_IMAGE = "docker.io/library/node:24-bookworm-slim";
const IMAGE = "localhost/pincer-image-test:latest";
const API_KEY = "sk-ant-image-test-key-3c9d";
const ADMIN_TOKEN = "image-test-admin-token-0123456789";
const BUILDAH = ["--isolation", "chroot", "--network", "host"];
// A cold build installs Chromium and every npm package: minutes, not seconds.
const BUILD_TIMEOUT = 30 * 60_000;
const REPLY_TIMEOUT = 120_000;

function buildah(...args: string[]): string {
  return execFileSync("buildah", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root: buildah builds and runs the image as root";
  try {
    buildah("--version");
  } catch {
    return "buildah is not installed (.ci/run installs it with apt)";
  }
  const images = buildah("images", "--format", "{{.Name}}:{{.Tag}}").split("\n");
  if (!images.includes(BASE_IMAGE))
    return `${BASE_IMAGE} is not in buildah's store (.ci/run puts it there with ../shared/tools/stand-in-node-image.sh)`;
  return false;
}

/** Runs a command to its end; resolves with its status and everything it printed. */
function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}

function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return (
          readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]?.split(" ")[1] === String(pid)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The first process under `pid` (depth first) whose command line starts with `argv0`. */
function findUnder(pid: number, argv0: string): number | undefined {
  for (const child of childrenOf(pid)) {
    try {
      if (readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0")[0] === argv0) return child;
    } catch {
      continue;
    }
    const found = findUnder(child, argv0);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Top-level packages the lock file marks dev-only: none of them may ship. */
function devOnlyPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([key, entry]) => entry.dev && key.split("node_modules/").length === 2)
    .map(([key]) => key);
}

test(
  "the Dockerfile's image builds, runs as its ENTRYPOINT + CMD say, and chats through an unprivileged agent",
  { skip: skipReason(), timeout: BUILD_TIMEOUT + 10 * 60_000 },
  async (t) => {
    // --layers: a rebuild after a source change reuses the apt and npm layers; --jobs: the
    // three stages download (apt, npm) side by side; docker format, as Docker builds it.
    let started = Date.now();
    const build = await run("buildah", [
      "bud",
      ...BUILDAH,
      "--layers",
      "--jobs=3",
      "--format=docker",
      "--pull=never",
      "--force-rm",
      "-t",
      IMAGE,
      "-f",
      join(ROOT, "Dockerfile"),
      ROOT,
    ]);
    assert.equal(build.code, 0, `buildah bud failed:\n${build.output.slice(-4000)}`);
    const cached = (build.output.match(/Using cache/g) ?? []).length;
    t.diagnostic(`build: ${Math.round((Date.now() - started) / 1000)}s (${cached} cached steps)`);

    const config = (
      JSON.parse(buildah("inspect", "--type", "image", IMAGE)) as {
        OCIv1: { config: { Entrypoint?: string[]; Cmd?: string[] } };
      }
    ).OCIv1.config;
    const command = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
    assert.equal(command[0], "/usr/bin/tini", "tini is PID 1's program");

    // The hard open-files limit Docker hands a container by default on many hosts.
    const container = buildah("from", "--pull=never", "--ulimit", "nofile=1024:1024", IMAGE).trim();
    const model = await startAnthropicFake((request) => {
      if (isToolResultTurn(request)) {
        const result = JSON.stringify(toolResults(request)[0]?.content ?? "");
        return { text: `agent uid=${/\d+/.exec(result)?.[0] ?? "?"}` };
      }
      if (lastUserText(request).includes("whoami"))
        return { toolUse: { name: "Bash", input: { command: "id -u" } } };
      return { text: `echo: ${lastUserText(request).slice(-40)}` };
    });
    let service: ChildProcess | undefined;
    let node: number | undefined;
    try {
      const root = buildah("mount", container).trim();
      for (const key of devOnlyPackages())
        assert.equal(existsSync(join(root, "app", key)), false, `dev-only ${key} ships`);
      const arch = process.arch === "arm64" ? "arm64" : "x64";
      const cli = join(
        root,
        `app/node_modules/@anthropic-ai/claude-agent-sdk-linux-${arch}/claude`,
      );
      assert.ok(statSync(cli).mode & 0o111, "the Claude Code CLI ships, executable");
      buildah("umount", container);

      const port = await freePort();
      const uidBase = 100_000 + Math.floor(Math.random() * 100_000) * 100;
      const env = {
        PORT: String(port),
        HOST: "127.0.0.1",
        ANTHROPIC_API_KEY: API_KEY,
        ANTHROPIC_BASE_URL: model.url,
        ADMIN_TOKEN,
        AGENT_UID_BASE: String(uidBase),
      };
      started = Date.now();
      service = spawn(
        "buildah",
        [
          "run",
          ...BUILDAH,
          ...Object.entries(env).flatMap(([name, value]) => ["-e", `${name}=${value}`]),
          container,
          "--",
          ...command,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      service.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      service.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      const exited = new Promise<number | null>((resolve) => service!.once("exit", resolve));
      const url = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => {
          if (service!.exitCode !== null) throw new Error(`the image's service exited:\n${output}`);
          return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 || undefined;
        },
        "/readyz to answer 200",
        REPLY_TIMEOUT,
      );
      t.diagnostic(
        `/readyz answered 200 ${Math.round((Date.now() - started) / 1000)}s after start`,
      );

      const tini = findUnder(service.pid!, "/usr/bin/tini");
      assert.ok(tini, "tini runs the service");
      // The service re-executes itself, so its command line is not the CMD's word for word.
      node = childrenOf(tini)[0];
      assert.ok(node, "the service runs under tini");

      const client: Service = {
        url,
        token: ADMIN_TOKEN,
        dataDir: "/data",
        child: service,
        output: () => output,
        stop: () => exited,
        kill: async () => undefined,
      };
      const sse = listen(client);
      await sse.ready;
      await sendChat(client, "whoami");
      const reply = await waitFor(
        () => sse.messages().find((m) => /agent uid=/.test(m.text)),
        "the agent's reply",
        REPLY_TIMEOUT,
      );
      await sse.close();
      const uid = Number(/uid=(\d+)/.exec(reply.text)?.[1]);
      assert.ok(uid >= uidBase, `the agent runs as its group's own uid, not root (uid ${uid})`);
      assert.match(output, /1024 open files \(AGENT_MAX_OPEN_FILES asks 4096\)/);

      const environ = readFileSync(`/proc/${node}/environ`, "utf8");
      for (const secret of [API_KEY, ADMIN_TOKEN])
        assert.ok(!environ.includes(secret), "no secret in the service's environment block");
      assert.match(environ, /PINCER_SECRETS_FILE=/, "it re-executed itself under tini");
      assert.match(
        readFileSync(`/proc/${node}/maps`, "utf8"),
        /libjemalloc\.so\.2/,
        "the service allocates with jemalloc (scripts/serve.sh)",
      );
      assert.ok(model.mainRequests().every((r) => r.headers["x-api-key"] === API_KEY));

      // Docker's stop: SIGTERM to PID 1, which tini hands to the service.
      process.kill(tini, "SIGTERM");
      assert.equal(
        await exited,
        0,
        `SIGTERM ends the container with status 0:\n${output.slice(-2000)}`,
      );
      node = undefined;
    } finally {
      if (node !== undefined) process.kill(node, "SIGKILL");
      service?.kill("SIGKILL");
      await model.close();
      buildah("rm", container);
    }
  },
);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
