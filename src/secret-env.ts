// Secrets out of the service's own environment block. The kernel keeps a process's
// environment as it was at exec: deleting a variable from process.env leaves it in
// /proc/<pid>/environ (and in a core dump). So when a secret arrives in the environment,
// the service executes itself again, same pid, without it, and hands the values over
// through a file only its own user can read, which the new image reads and deletes first
// thing. The secrets then live only in memory: not in any environ, argv or file.
import {
  closeSync,
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

/** Every setting that holds a credential. */
export const SECRET_VARIABLES = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "TELEGRAM_BOT_TOKEN",
  "DISCORD_BOT_TOKEN",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "MATRIX_ACCESS_TOKEN",
  "EMAIL_PASSWORD",
  "TRANSCRIBE_API_KEY",
  "ADMIN_TOKEN",
] as const;

/** Names the hand-over file to the re-executed service; never set it yourself. */
const HANDOVER_VARIABLE = "PINCER_SECRETS_FILE";
const HANDOVER_DIR_PREFIX = "pincer-secrets-";
const HANDOVER_FILE = "secrets.json";

/**
 * The secret settings, taken out of the process's environment (after reading `.env`, when
 * present, into it). When the environment block
 * holds any, this does not return: the service re-executes itself without them and the
 * new image gets them here from the hand-over file. Call it first thing, before anything
 * spawns a child (which would inherit process.env).
 */
export function takeSecretsFromEnvironment(envFile = ".env"): Record<string, string> {
  const handover = process.env[HANDOVER_VARIABLE];
  if (handover !== undefined) {
    delete process.env[HANDOVER_VARIABLE];
    // The file is not read again here: its other settings came through the exec's
    // environment, and reading it would put its secrets back into process.env.
    return readHandover(handover);
  }
  loadEnvFile(envFile);
  const secrets: Record<string, string> = {};
  for (const name of SECRET_VARIABLES) {
    const value = process.env[name];
    if (value === undefined) continue;
    secrets[name] = value;
    delete process.env[name];
  }
  if (Object.keys(secrets).length === 0) return secrets;
  let file: string;
  try {
    if (!process.execve) throw new Error("this Node has no process.execve");
    file = writeHandover(secrets);
  } catch (error) {
    // Without execve or a private temporary directory, start anyway: secrets stay readable in this
    // process's environment block, which only its own user (and root) may read.
    process.stderr.write(
      `Secrets stay readable in the service's environment block: ${error instanceof Error ? error.message : String(error)}.\n`,
    );
    return secrets;
  }
  const env: Record<string, string> = { [HANDOVER_VARIABLE]: file };
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined) env[name] = value;
  try {
    process.execve(
      process.execPath,
      [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      env,
    );
  } catch (error) {
    rmSync(dirname(file), { recursive: true, force: true });
    throw error;
  }
  throw new Error("process.execve returned");
}

/**
 * Settings from a `.env` file in the working directory, when there is one, for a local run.
 * A variable already set in the environment wins (Node's own rule). Read before the secrets
 * are taken out, so a key from the file is handled like one from the environment.
 */
function loadEnvFile(file: string): void {
  try {
    process.loadEnvFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new Error(`${resolve(file)} could not be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function writeHandover(secrets: Record<string, string>): string {
  // mkdtemp makes the directory 0700: no other user can look in it.
  const dir = mkdtempSync(join(tmpdir(), HANDOVER_DIR_PREFIX));
  const file = join(dir, HANDOVER_FILE);
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600, flag: "wx" });
  return file;
}

function readHandover(file: string): Record<string, string> {
  // Only ever a file this module wrote: never read or delete another path by this name.
  const refuse = (why: string) =>
    new Error(
      `${HANDOVER_VARIABLE}=${file} ${why}; it is for Pincer's own restart only: unset it.`,
    );
  if (basename(file) !== HANDOVER_FILE || !basename(dirname(file)).startsWith(HANDOVER_DIR_PREFIX))
    throw refuse("is not a hand-over file");
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw refuse(`could not be opened (${(error as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.uid !== process.getuid?.() || (stat.mode & 0o077) !== 0)
      throw refuse("is not a private file of this user");
    // Gone from the file system before its content is even read.
    rmSync(dirname(file), { recursive: true, force: true });
    return JSON.parse(readFileSync(fd, "utf8")) as Record<string, string>;
  } finally {
    closeSync(fd);
  }
}
