// The image installs `dependencies` only, so every package the service loads at run time
// must be listed there; a devDependency imported from src/ works in tests and breaks the
// deployed service, possibly only once the importing channel or feature is turned on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// `import type` / `export type` are erased by type stripping and load nothing.
const STATIC = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

function runtimeSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(STATIC)) if (!match[1]) found.push(match[2]!);
  for (const match of source.matchAll(DYNAMIC)) found.push(match[1]!);
  return found;
}

function packageName(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

test("finds value imports and skips type-only ones", () => {
  const source = [
    'import { z } from "zod";',
    'import type { Bot } from "grammy";',
    "import {",
    "  type Client,",
    "  GatewayIntentBits,",
    '} from "discord.js";',
    'import "./side-effect.ts";',
    'export { serve } from "@hono/node-server";',
    'export type { Message } from "@slack/bolt";',
    'const pw = await import("playwright-core");',
  ].join("\n");
  assert.deepEqual(runtimeSpecifiers(source).map(packageName).filter(Boolean).sort(), [
    "@hono/node-server",
    "discord.js",
    "playwright-core",
    "zod",
  ]);
});

test("every package src/ loads at run time is a production dependency", () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const missing: string[] = [];
  const files = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" });
  for (const file of files.filter((name) => name.endsWith(".ts"))) {
    const source = readFileSync(join(ROOT, "src", file), "utf8");
    for (const name of runtimeSpecifiers(source).map(packageName)) {
      if (name && !(name in manifest.dependencies)) missing.push(`${name} (src/${file})`);
    }
  }
  assert.deepEqual(missing, [], "move these to dependencies in package.json");
});
