// The stdio MCP servers running for each group. They run as the group's MCP user
// (stdio-user.ts); once the last of a group's stops, nothing of that user may keep running,
// so its processes are reaped. A server counted as starting holds a reaping off, and one
// that starts while a reaping is under way waits for it to end, so it cannot be killed by it.
import type { Logger } from "../log.ts";
import type { StdioEntry } from "./config.ts";

/** How the host starts a group's stdio server: as which command, where, with what env. */
export interface StdioLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface StdioRunner {
  /** The command line that runs `entry` for the group `folder` (its own user, limits, home). */
  prepare(folder: string, entry: StdioEntry): Promise<StdioLaunch>;
  /** The group's last stdio server has stopped: nothing of its user may keep running. */
  stopped(folder: string): Promise<void>;
}

export class StdioServers {
  private readonly runner: StdioRunner;
  private readonly log: Logger;
  /** Per folder: how many stdio servers of its user run. */
  private readonly running = new Map<string, number>();
  /** Per folder: the stopping of its MCP user's processes, under way. */
  private readonly reaping = new Map<string, Promise<void>>();

  constructor(runner: StdioRunner, log: Logger) {
    this.runner = runner;
    this.log = log;
  }

  /** A server of the group is about to start: counted once a reaping under way has ended. */
  async starting(folder: string): Promise<void> {
    await this.reaping.get(folder);
    this.running.set(folder, (this.running.get(folder) ?? 0) + 1);
  }

  /** One stdio server of the group stopped (or never started); after the last, its user is reaped. */
  async stopped(folder: string): Promise<void> {
    const left = (this.running.get(folder) ?? 1) - 1;
    if (left > 0) {
      this.running.set(folder, left);
      return;
    }
    this.running.delete(folder);
    const reap = this.runner
      .stopped(folder)
      .catch((error: unknown) =>
        this.log.error(
          { group: folder, err: (error as Error).message },
          "could not stop the MCP user's processes",
        ),
      );
    this.reaping.set(folder, reap);
    await reap;
    if (this.reaping.get(folder) === reap) this.reaping.delete(folder);
  }
}
