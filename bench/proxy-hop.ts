// What the credential proxy's hop costs a model call, apart from everything else the
// service does: Messages calls of a warm turn's size (68 KB: a system prompt, 38 tools, a
// short history) straight to the fake model, through Pincer's proxy, and through the
// smallest Node pass-through proxy, interleaved, each proxy in its own process as in the
// service. `sh scripts/node.sh bench/proxy-hop.ts [calls]` prints p50s and writes
// bench/results/proxy-hop-<ISO timestamp>.json.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { echoResponder, startAnthropicFake } from "../test/fakes/anthropic/server.ts";
import { round, summarize } from "./stats.ts";

const CALLS = Number(process.argv[2] ?? 400);
const WARMUP = 30;
const CHILD = fileURLToPath(new URL("./proxy-hop-child.ts", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results", import.meta.url));

interface Hop {
  url: string;
  token: string;
}

async function startHop(upstream: string, kind: string, children: ChildProcess[]): Promise<Hop> {
  const child = spawn(process.execPath, [CHILD, upstream, kind], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the ${kind} proxy exited with ${code}`)));
    child.stdout.once("data", (line: Buffer) => resolve(JSON.parse(String(line)) as Hop));
  });
}

const body = JSON.stringify({
  model: "claude-sonnet-4-5",
  max_tokens: 32_000,
  stream: true,
  system: [{ type: "text", text: "s".repeat(9_000) }],
  tools: Array.from({ length: 38 }, (_, index) => ({
    name: `tool_${index}`,
    description: "d".repeat(1_200),
    input_schema: { type: "object", properties: {} },
  })),
  messages: [{ role: "user", content: "hello [proxy-hop]" }],
});

async function call(hop: Hop): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${hop.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "x-api-key": hop.token,
    },
    body,
  });
  await res.text();
  if (!res.ok) throw new Error(`model call failed: ${res.status}`);
  return performance.now() - started;
}

const fake = await startAnthropicFake(echoResponder);
const children: ChildProcess[] = [];
try {
  const hops: Record<string, Hop> = {
    direct: { url: fake.url, token: "unused" },
    credential_proxy: await startHop(fake.url, "credential", children),
    minimal_proxy: await startHop(fake.url, "minimal", children),
  };
  const names = Object.keys(hops);
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < WARMUP + CALLS; round++) {
    // Rotating the order spreads drift and noise over all three alike.
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      const ms = await call(hops[name]!);
      if (round >= WARMUP) times[name]!.push(ms);
    }
  }
  const summaries = Object.fromEntries(names.map((name) => [name, summarize(times[name]!)]));
  const direct = summaries.direct!.p50;
  const result = {
    at: new Date().toISOString(),
    body_bytes: Buffer.byteLength(body),
    calls: CALLS,
    latency_ms: summaries,
    added_p50_ms: {
      credential_proxy: round(summaries.credential_proxy!.p50 - direct),
      minimal_proxy: round(summaries.minimal_proxy!.p50 - direct),
    },
  };
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `proxy-hop-${result.at}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `model call p50: direct ${direct} ms, through the credential proxy ${summaries.credential_proxy!.p50} ms (+${result.added_p50_ms.credential_proxy}), through a minimal proxy ${summaries.minimal_proxy!.p50} ms (+${result.added_p50_ms.minimal_proxy})\nJSON in ${file}`,
  );
} finally {
  for (const child of children) child.kill();
  await fake.close();
}
