// The browser tools' latency: cold start (launch Chromium, open a page, first snapshot) and
// each action on a warm browser, calling the tool handlers directly against the test site
// on 127.0.0.1 (no model, no CLI). Prints a summary and writes
// bench/results/browser-<ISO timestamp>.json. `sh scripts/node.sh bench/browser.ts`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { dataPaths, groupDir } from "../src/data-layout.ts";
import type { AgentTool } from "../src/agent/tools.ts";
import { BrowserManager } from "../src/browser/browser-manager.ts";
import { browserTools } from "../src/browser/browser-tools.ts";
import { chromiumProblem } from "../src/browser/launcher.ts";
import { createLogger } from "../src/log.ts";
import type { Group } from "../src/store/groups.ts";
import { callTool } from "../test/browser/call-tool.ts";
import { refOf, startForbiddenServer, startTestSite } from "../test/browser/site.ts";
import { summarize, type Summary } from "./stats.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const COLD_RUNS = Number(process.env.BENCH_BROWSER_COLD ?? 5);
const WARM_ROUNDS = Number(process.env.BENCH_BROWSER_ROUNDS ?? 20);
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));

async function timed(
  tools: AgentTool[],
  samples: Map<string, number[]>,
  label: string,
  name: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const started = performance.now();
  const outcome = await callTool(tools, name, args);
  const elapsed = performance.now() - started;
  if (outcome.isError) throw new Error(`${label}: ${outcome.text}`);
  samples.set(label, [...(samples.get(label) ?? []), elapsed]);
  return outcome.text;
}

async function main(): Promise<void> {
  const problem = chromiumProblem(CHROMIUM);
  if (problem) throw new Error(problem);
  const startedAt = new Date();
  const dataDir = mkdtempSync(join(tmpdir(), "pincer-bench-browser-"));
  const paths = dataPaths(dataDir);
  mkdirSync(groupDir(paths, "main"), { recursive: true });
  const forbidden = await startForbiddenServer();
  const site = await startTestSite(`http://127.0.0.1:${forbidden.port}/`);
  const manager = new BrowserManager({
    chromiumPath: CHROMIUM,
    stateDir: join(paths.storeDir, "browser"),
    servicePorts: () => [forbidden.port],
    pageTimeoutMs: 30_000,
    actionTimeoutMs: 10_000,
    settleMs: 3_000,
    maxOpen: 1,
    logger: createLogger("silent"),
  });
  const tools = browserTools({ id: 1, folder: "main", isMain: true } as Group, {
    manager,
    paths,
    maxChars: 30_000,
  });
  const samples = new Map<string, number[]>();
  try {
    for (let run = 0; run < COLD_RUNS; run++) {
      await manager.closeGroup(1);
      await timed(tools, samples, "cold: open + first snapshot", "browser_open", {
        url: `${site.url}/js`,
      });
    }
    for (let round = 0; round < WARM_ROUNDS; round++) {
      await timed(tools, samples, "open (warm, JS page)", "browser_open", {
        url: `${site.url}/js`,
      });
      await timed(tools, samples, "snapshot", "browser_snapshot");
      const form = await timed(tools, samples, "open (warm, form)", "browser_open", {
        url: `${site.url}/form`,
      });
      await timed(tools, samples, "fill", "browser_fill", {
        ref: refOf(form, /textbox "Name"/),
        text: `Bench ${round}`,
      });
      await timed(tools, samples, "select", "browser_select", {
        ref: refOf(form, /combobox "Colour"/),
        values: ["green"],
      });
      await timed(tools, samples, "click (submits, new page)", "browser_click", {
        ref: refOf(form, /button "Send"/),
      });
      await timed(tools, samples, "back", "browser_back");
      await timed(tools, samples, "press Tab", "browser_press", { key: "Tab" });
      await timed(tools, samples, "screenshot", "browser_screenshot");
      await timed(tools, samples, "open (warm, large page)", "browser_open", {
        url: `${site.url}/large`,
      });
    }
  } finally {
    await manager.closeAll();
    await site.close();
    await forbidden.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const timings: Record<string, Summary> = {};
  for (const [label, values] of samples) timings[label] = summarize(values);
  const result = {
    startedAt: startedAt.toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: totalmem() / 2 ** 30 },
    chromium: CHROMIUM,
    coldRuns: COLD_RUNS,
    warmRounds: WARM_ROUNDS,
    timingsMs: timings,
  };
  console.log("browser tool latency (ms): p50 / p95 / max");
  for (const [label, summary] of Object.entries(timings))
    console.log(`  ${label.padEnd(30)} ${summary.p50} / ${summary.p95} / ${summary.max}`);
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `browser-${startedAt.toISOString()}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

await main();
