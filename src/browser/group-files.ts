// Files the browser tools put into a group's folder (screenshots, downloads). With isolation
// the folder belongs to the group's uid, which could swap any directory on the way for a
// symbolic link; so the writing is done by a short child process running as that uid, with
// exactly its rights, instead of by the root host (without isolation, as the service's
// user, the same way: never a blocking call on the agent's folder in the service itself).
import { extname, join } from "node:path";
import { runAsAgent } from "../agent/isolation/as-agent.ts";
import type { RunAs } from "./launcher.ts";

const MAX_NAME_ATTEMPTS = 100;

/** A file name that is safe in any folder: no separators, no dot-files, bounded length. */
export function safeFileName(suggested: string, fallback: string): string {
  const cleaned = [...suggested]
    .map((char) => (char === "/" || char === "\\" || char.charCodeAt(0) < 32 ? "_" : char))
    .join("")
    .replace(/^\.+/, "")
    .trim()
    .slice(0, 120);
  return cleaned || fallback;
}

function candidate(name: string, attempt: number): string {
  if (attempt === 0) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)}-${attempt}${ext}`;
}

// Exit code 3 means "that name is taken, try the next"; noclobber (O_EXCL) keeps a file that
// appears between the test and the write.
const WRITE_NEW = `mkdir -p -- "$1" || exit 2; [ -e "$1/$2" ] && exit 3; set -C; cat > "$1/$2" || exit 4`;
const MOVE_NEW = `mkdir -p -- "$2" || exit 2; [ -e "$2/$3" ] && exit 3; set -C; cat -- "$1" > "$2/$3" || exit 4; rm -f -- "$1"`;

async function placeUnder(
  dir: string,
  name: string,
  attemptOne: (fileName: string) => Promise<"ok" | "taken">,
): Promise<string> {
  for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
    const fileName = candidate(name, attempt);
    if ((await attemptOne(fileName)) === "ok") return join(dir, fileName);
  }
  throw new Error(`no free file name like ${name} in ${dir}`);
}

/** Writes `data` as a new file `dir/name` (or `name-1`, … if taken); returns its path. */
export function writeNewFile(
  dir: string,
  name: string,
  data: Buffer,
  runAs: RunAs | undefined,
): Promise<string> {
  return placeUnder(dir, name, async (fileName) =>
    exitVerdict((await runAsAgent(runAs, WRITE_NEW, [dir, fileName], { input: data })).code),
  );
}

/** Moves `source` to a new file `dir/name` (or `name-1`, …); returns its path. */
export function moveToNewFile(
  source: string,
  dir: string,
  name: string,
  runAs: RunAs | undefined,
): Promise<string> {
  return placeUnder(dir, name, async (fileName) =>
    exitVerdict((await runAsAgent(runAs, MOVE_NEW, [source, dir, fileName])).code),
  );
}

function exitVerdict(code: number): "ok" | "taken" {
  if (code === 0) return "ok";
  if (code === 3) return "taken";
  throw new Error(`writing as the group's user failed (exit ${code})`);
}
