// Measuring and pruning a group's files. Both trees are the agent's to write, so the host
// never walks them itself: du and find run as the agent (runAsAgent), where a link or a
// FIFO the agent planted leads only where the agent could go anyway, and a stall blocks
// that child, never the service.
import { runAsAgent, type AgentIdentity } from "./as-agent.ts";

// A tree of a few hundred thousand files takes du seconds; a stalled child is killed.
const TIMEOUT_MS = 120_000;

// du -x stays on the tree's file system; -k counts allocated KiB (a sparse file counts as
// much as it really takes). Each directory gives one "<KiB>\t." line (0 when it is absent).
const MEASURE =
  'for d in "$@"; do if [ -d "$d" ]; then (cd "$d" && du -sxk .); else printf "0\\t.\\n"; fi; done';

/**
 * The bytes the directories take on disk, measured as `identity` (the service's own user
 * when undefined). Directories that do not exist count 0; undefined when du failed.
 */
export async function measureTrees(
  identity: AgentIdentity | undefined,
  dirs: string[],
): Promise<number | undefined> {
  const result = await runAsAgent(identity, MEASURE, dirs, { timeoutMs: TIMEOUT_MS });
  // du exits 1 when some entry was unreadable but still prints its total: count the lines.
  const totals = result.stdout
    .toString("utf8")
    .split("\n")
    .flatMap((line) => /^(\d+)\t\.$/.exec(line)?.[1] ?? []);
  if (totals.length !== dirs.length) return undefined;
  return totals.reduce((sum, kib) => sum + Number(kib) * 1024, 0);
}

// `find attachments` is the relative start point: -P (the default) never follows a link,
// not even one put in its place; -xdev stays on the file system. A dot per file deleted.
const PRUNE =
  'cd "$1" 2>/dev/null || exit 0; [ -d attachments ] || exit 0; find attachments -xdev -type f -mmin +"$2" -delete -printf . | wc -c';

/**
 * Deletes the files under `<groupFolder>/attachments` last modified more than `days` ago,
 * as `identity`. Resolves with how many were deleted, or undefined when find failed.
 */
export async function pruneAttachments(
  identity: AgentIdentity | undefined,
  groupFolder: string,
  days: number,
): Promise<number | undefined> {
  const result = await runAsAgent(identity, PRUNE, [groupFolder, String(days * 24 * 60)], {
    timeoutMs: TIMEOUT_MS,
  });
  if (result.code !== 0) return undefined;
  const count = Number(result.stdout.toString("utf8").trim());
  return Number.isInteger(count) ? count : undefined;
}
