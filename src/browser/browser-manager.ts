// Which groups have a live browser. Each group gets at most one (launched on its first
// browser tool call), actions of one group run one at a time, and at most `maxOpen`
// browsers live at once: a group that needs one when all are taken closes the browser idle
// the longest, or waits for one to become idle.
import { mkdirSync } from "node:fs";
import type { Logger } from "../log.ts";
import { GroupBrowser, type BrowserGroup, type LaunchSettings } from "./group-browser.ts";

export interface BrowserManagerOptions extends LaunchSettings {
  maxOpen: number;
  logger: Logger;
}

interface Entry {
  browser: Promise<GroupBrowser>;
  busy: boolean;
  lastUsed: number;
  closing: Promise<void> | undefined;
}

export class BrowserManager {
  private readonly options: BrowserManagerOptions;
  private readonly entries = new Map<number, Entry>();
  private readonly lanes = new Map<number, Promise<unknown>>();
  private waiters: (() => void)[] = [];

  constructor(options: BrowserManagerOptions) {
    this.options = options;
    mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  }

  servicePorts(): readonly number[] {
    return this.options.servicePorts();
  }

  get openCount(): number {
    return this.entries.size;
  }

  isOpen(groupId: number): boolean {
    return this.entries.has(groupId);
  }

  /** Runs `action` with the group's browser (launched if needed), after its earlier actions. */
  use<T>(group: BrowserGroup, action: (browser: GroupBrowser) => Promise<T>): Promise<T> {
    const previous = this.lanes.get(group.id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.run(group, action));
    this.lanes.set(group.id, run);
    const forget = () => {
      if (this.lanes.get(group.id) === run) this.lanes.delete(group.id);
    };
    run.then(forget, forget);
    return run;
  }

  async closeGroup(groupId: number): Promise<void> {
    const entry = this.entries.get(groupId);
    if (!entry) return;
    entry.closing ??= (async () => {
      const browser = await entry.browser.catch(() => undefined);
      await browser?.close();
      this.options.logger.info({ groupId }, "browser closed");
    })().finally(() => {
      if (this.entries.get(groupId) === entry) this.entries.delete(groupId);
      this.changed();
    });
    return entry.closing;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((groupId) => this.closeGroup(groupId)));
  }

  private async run<T>(group: BrowserGroup, action: (browser: GroupBrowser) => Promise<T>) {
    const { entry, browser } = await this.browserFor(group);
    entry.busy = true;
    try {
      return await action(browser);
    } finally {
      entry.busy = false;
      entry.lastUsed = Date.now();
      this.changed();
    }
  }

  private async browserFor(group: BrowserGroup): Promise<{ entry: Entry; browser: GroupBrowser }> {
    for (;;) {
      const entry = this.entries.get(group.id);
      if (entry?.closing) {
        await entry.closing;
        continue;
      }
      if (entry) return { entry, browser: await entry.browser };
      if (this.entries.size < this.options.maxOpen) return this.launch(group);
      const idle = [...this.entries]
        .filter(([, other]) => !other.busy && !other.closing)
        .sort(([, a], [, b]) => a.lastUsed - b.lastUsed)[0];
      if (idle) await this.closeGroup(idle[0]);
      else await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async launch(group: BrowserGroup): Promise<{ entry: Entry; browser: GroupBrowser }> {
    const started = Date.now();
    const entry: Entry = {
      browser: GroupBrowser.launch(group, this.options),
      busy: true,
      lastUsed: started,
      closing: undefined,
    };
    this.entries.set(group.id, entry);
    try {
      const browser = await entry.browser;
      this.options.logger.info(
        { groupId: group.id, ms: Date.now() - started, uid: browser.runAs?.uid },
        "browser launched",
      );
      // A crash or a killed Chromium frees the slot; the next action launches afresh.
      browser.context.once("close", () => {
        if (this.entries.get(group.id) === entry) void this.closeGroup(group.id);
      });
      return { entry, browser };
    } catch (error) {
      this.entries.delete(group.id);
      this.changed();
      throw error;
    }
  }

  private changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
