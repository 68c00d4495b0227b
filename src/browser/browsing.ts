// Web browsing as one feature for main.ts: the browser tools when Chromium is there (Playwright
// is imported only then), and otherwise a plain statement of why they are missing, which the
// service shows next to its channels on /readyz and the status page.
import type { AgentTool } from "../agent/tools.ts";
import { prepareHomeDirs } from "../agent/memory.ts";
import { browserStateDir, type Paths } from "../data-layout.ts";
import type { Prepare } from "../agent/isolation/agent-isolation.ts";
import type { Logger } from "../log.ts";
import type { Group } from "../store/groups.ts";
import type { UserLease } from "./group-browser.ts";
import { BROWSER_DIRS, chromiumProblem } from "./launcher.ts";

export interface BrowsingOptions {
  chromiumPath: string;
  /** Browsers open at once, over all groups; 0 turns browsing off. */
  maxOpen: number;
  pageTimeoutMs: number;
  paths: Paths;
  /** This service's own ports, which pages must not reach. */
  servicePorts(): readonly number[];
  /** The isolation layer: the browser claims the group's Unix user through it. */
  isolation?: { acquire(group: Group, prepare: Prepare): UserLease } | undefined;
  logger: Logger;
}

export interface Browsing {
  state: { status: "connected" | "not_configured"; detail: string };
  tools(group: Group): AgentTool[];
  closeGroup(groupId: number): Promise<void>;
  closeAll(): Promise<void>;
}

/** Most characters of page text in one tool result (about 8k tokens). */
const MAX_RESULT_CHARS = 30_000;
const ACTION_TIMEOUT_MS = 10_000;
const SETTLE_MS = 3_000;

function withoutBrowsing(problem: string, logger: Logger): Browsing {
  logger.info(`No browser tools: ${problem}`);
  return {
    state: { status: "not_configured", detail: problem },
    tools: () => [],
    closeGroup: async () => undefined,
    closeAll: async () => undefined,
  };
}

export async function setUpBrowsing(options: BrowsingOptions): Promise<Browsing> {
  const problem =
    options.maxOpen === 0
      ? "web browsing is off (BROWSER_MAX_OPEN=0)"
      : chromiumProblem(options.chromiumPath);
  if (problem) return withoutBrowsing(problem, options.logger);
  let modules;
  try {
    import.meta.resolve("playwright-core");
    modules = await Promise.all([import("./browser-manager.ts"), import("./browser-tools.ts")]);
  } catch (error) {
    return withoutBrowsing(
      `playwright-core could not be loaded (${(error as Error).message})`,
      options.logger,
    );
  }
  const [{ BrowserManager }, { browserTools }] = modules;
  const { isolation, paths } = options;
  const manager = new BrowserManager({
    chromiumPath: options.chromiumPath,
    stateDir: browserStateDir(options.paths),
    servicePorts: options.servicePorts,
    pageTimeoutMs: options.pageTimeoutMs,
    actionTimeoutMs: Math.min(ACTION_TIMEOUT_MS, options.pageTimeoutMs),
    settleMs: SETTLE_MS,
    maxOpen: options.maxOpen,
    logger: options.logger.child({ component: "browser" }),
  });
  return {
    state: {
      status: "connected",
      detail: `web browsing with ${options.chromiumPath}, up to ${options.maxOpen} open at once`,
    },
    tools: (group) =>
      browserTools(group, {
        manager,
        paths,
        maxChars: MAX_RESULT_CHARS,
        lease:
          isolation &&
          ((group) =>
            isolation.acquire(group, (identity) =>
              prepareHomeDirs(paths, group, identity, Object.values(BROWSER_DIRS)),
            )),
      }),
    closeGroup: (groupId) => manager.closeGroup(groupId),
    closeAll: () => manager.closeAll(),
  };
}
