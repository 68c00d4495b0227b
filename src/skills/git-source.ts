// Fetches one commit of a git repository into a staging folder only the host can write, and
// reads the skill out of it with `git archive` (a tar stream, checked as it is read). git
// runs as the host, so it is never pointed at a path an agent can write: the staging folder
// is under DATA_DIR/store (root's alone), and a `file://` URL is for the owner only and
// never into DATA_DIR. Its environment is empty of the host's (no secrets, no user or
// system git config: no hooks, helpers or aliases), it cannot prompt, and only plain
// transports are allowed (no `ext::` commands).
import { spawn } from "node:child_process";
import { lstat, mkdtemp, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readSkillTar, SkillProblem, subpathProblem, type SkillFiles } from "./skill-files.ts";

export interface GitSource {
  url: string;
  /** A branch, tag or commit; the remote's default branch when absent. */
  ref?: string | undefined;
  /** The skill's folder inside the repository; its top when absent. */
  subpath?: string | undefined;
}

const FETCH_TIMEOUT_MS = 120_000;
/** Larger files (a pack of a huge repository) stop the fetch. */
const MAX_FETCH_FILE_BYTES = 200 * 1024 * 1024;
// A host (or user) starting with "-" would reach ssh as an option: never.
const NETWORK_URL = /^(?:https?|ssh|git):\/\/(?![^/]*@-)[A-Za-z0-9[][^\s/]*\/\S*$/i;
// user@host:path, as GitHub shows SSH URLs ("::" would name a transport helper).
const SCP_LIKE = /^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:(?!:)[^\s]+$/;
const REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/@^~-]{1,200}$/;

/**
 * Why `url` may not be fetched, or undefined. `owner` allows `file://` (not into
 * `dataDir`): an agent's request may only name a network repository.
 */
export function gitUrlProblem(
  url: string,
  from: { owner: boolean; dataDir: string },
): string | undefined {
  if (url.length > 2000) return "url: too long";
  if (NETWORK_URL.test(url) || SCP_LIKE.test(url)) return undefined;
  if (/^file:\/\//i.test(url)) {
    if (!from.owner) return "url: a file:// repository can only be added by the owner";
    const path = resolve(decodeURIComponent(url.slice("file://".length)));
    const data = resolve(from.dataDir);
    if (path === data || path.startsWith(`${data}/`))
      return "url: a repository inside DATA_DIR is refused (agents can write there)";
    return undefined;
  }
  return "url: expected a git URL: https://, http://, ssh://, git://, user@host:path, or file:// (owner only)";
}

export function refProblem(ref: string): string | undefined {
  return REF.test(ref)
    ? undefined
    : "ref: expected a branch, tag or commit (letters, digits and . _ / - @ ^ ~, not starting with -)";
}

/**
 * Why the local repository at `path` could be changed under git's feet by someone other
 * than the service (an agent), or undefined. Every folder from / to it must be a real
 * folder (no link) of root or the service's user that nobody else may write, or a sticky
 * one like /tmp (where others cannot rename what is not theirs).
 */
export async function localRepositoryProblem(path: string): Promise<string | undefined> {
  const own = new Set([0, process.getuid?.() ?? 0]);
  const parts = resolve(path).split("/").filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const at = `/${parts.slice(0, i).join("/")}`;
    let stat;
    try {
      stat = await lstat(at);
    } catch {
      return `url: there is no repository at ${path}`;
    }
    if (stat.isSymbolicLink()) return `url: ${at} is a link; give the repository's real path`;
    if (!stat.isDirectory()) return `url: ${at} is not a folder`;
    const othersWrite = (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
    if (!own.has(stat.uid) || othersWrite)
      return `url: ${at} can be changed by another user (an agent?); git runs only on the service's own folders`;
  }
  return undefined;
}

/** Why `source` may not be fetched (its URL, ref or subpath), or undefined. */
export function gitSourceProblem(
  source: GitSource,
  from: { owner: boolean; dataDir: string },
): string | undefined {
  return (
    gitUrlProblem(source.url, from) ??
    (source.ref === undefined ? undefined : refProblem(source.ref)) ??
    (source.subpath === undefined ? undefined : subpathProblem(source.subpath))
  );
}

const GIT_ENV = {
  PATH: "/usr/bin:/bin:/usr/local/bin",
  LC_ALL: "C",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  GIT_ASKPASS: "/bin/false",
  SSH_ASKPASS: "/bin/false",
  GIT_SSH_COMMAND: "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new",
  GIT_PROTOCOL_FROM_USER: "0",
};

// Only transports that move data; ext:: (runs a command) and anything else are off.
const PROTOCOLS = ["https", "http", "ssh", "git", "file"].flatMap((name) => [
  "-c",
  `protocol.${name}.allow=always`,
]);

interface GitRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function git(args: string[], home: string, timeoutMs = FETCH_TIMEOUT_MS): Promise<GitRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      "prlimit",
      [
        `--fsize=${MAX_FETCH_FILE_BYTES}`,
        "--",
        "git",
        "-c",
        "protocol.allow=never",
        ...PROTOCOLS,
        ...args,
      ],
      { env: { ...GIT_ENV, HOME: home }, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-4096)));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new SkillProblem("git (or prlimit) is not installed where the service runs")
          : error,
      ),
    );
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** git's own words on what went wrong: its first "fatal:" or "error:" line, else its last. */
function gitSays(text: string): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const reason = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1);
  return reason?.replace(/^(fatal|error):\s*/, "") ?? "no output";
}

/**
 * The commit `source.ref` names now, and the validated skill in it. `stagingDir` is a
 * host-only folder; the clone is made and removed inside it.
 */
export async function fetchSkill(
  source: GitSource,
  stagingDir: string,
): Promise<{ commit: string; skill: SkillFiles }> {
  const work = await mkdtemp(join(stagingDir, "git-"));
  const repo = join(work, "repo");
  const where = `${source.url}${source.ref ? ` (${source.ref})` : ""}`;
  try {
    const init = await git(["init", "-q", "--bare", "--template=", repo], work);
    if (init.code !== 0) throw new Error(`git init failed: ${gitSays(init.stderr)}`);
    const fetched = await git(
      [
        "--git-dir",
        repo,
        "fetch",
        "-q",
        "--depth=1",
        "--no-tags",
        "--no-recurse-submodules",
        "--",
        source.url,
        source.ref ?? "HEAD",
      ],
      work,
    );
    if (fetched.signal === "SIGXFSZ")
      throw new SkillProblem(
        `${where} is too large to fetch (over ${MAX_FETCH_FILE_BYTES / 1024 / 1024} MB)`,
        413,
      );
    if (fetched.signal)
      throw new SkillProblem(`could not fetch ${where}: git took too long and was stopped`);
    if (fetched.code !== 0)
      throw new SkillProblem(`could not fetch ${where}: ${gitSays(fetched.stderr)}`);
    const head = await git(
      ["--git-dir", repo, "rev-parse", "--verify", "FETCH_HEAD^{commit}"],
      work,
    );
    const commit = head.stdout.trim();
    if (head.code !== 0 || !/^[0-9a-f]{40,64}$/.test(commit))
      throw new SkillProblem(`${where}: ${source.ref ?? "HEAD"} is not a commit`);
    const subpath = source.subpath?.replace(/^\/+|\/+$/g, "");
    const skill = await archiveSkill(
      repo,
      work,
      commit,
      subpath,
      `${where} at ${commit.slice(0, 12)}`,
    );
    return { commit, skill };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Streams `git archive` of the commit (or its subfolder) through the skill checks. */
async function archiveSkill(
  repo: string,
  home: string,
  commit: string,
  subpath: string | undefined,
  source: string,
): Promise<SkillFiles> {
  const tree = subpath ? `${commit}:${subpath}` : commit;
  const child = spawn("git", ["--git-dir", repo, "archive", "--format=tar", "--", tree], {
    env: { ...GIT_ENV, HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: FETCH_TIMEOUT_MS,
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4096)));
  const exited = new Promise<number | null>((resolvePromise) =>
    child.on("close", (code) => resolvePromise(code)),
  );
  try {
    const skill = await readSkillTar(child.stdout, { source });
    if ((await exited) !== 0) throw new Error(gitSays(stderr));
    return skill;
  } catch (error) {
    child.kill("SIGKILL");
    if ((await exited) !== 0 && subpath && /not a valid object name|not a tree object/.test(stderr))
      throw new SkillProblem(`${source} has no folder "${subpath}"`);
    throw error;
  }
}
