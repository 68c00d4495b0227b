// An MCP server entry in the shape Claude Code's .mcp.json uses, validated with words a
// person can act on, and `${NAME}` references to host secrets filled in at connect time.
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { z } from "zod";

/** Lower-case letters, digits, "-" and "_"; "__" would blur mcp__<server>__<tool>. */
const SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,47}$/;
/** Secret names look like environment variables. */
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;
const REFERENCE = /\$\{([^}]*)\}/g;
/** The name of Pincer's own tool server. */
const RESERVED = new Set(["pincer"]);

export const serverName = z.string().superRefine((name, ctx) => {
  const problem = serverNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export function serverNameProblem(name: string): string | undefined {
  if (name.includes("/")) return `"${name}" contains "/": a server name is one word`;
  if (name.includes("__"))
    return `"${name}" contains "__", which separates server and tool in mcp__<server>__<tool>`;
  if (RESERVED.has(name)) return `"${name}" is Pincer's own tool server; pick another name`;
  if (!SERVER_NAME.test(name))
    return `"${name}" is not a server name: use 1-48 lower-case letters, digits, "-" or "_", starting with a letter or digit`;
  return undefined;
}

const stringMap = z.record(z.string().min(1).max(200), z.string().max(8_000));

const httpUrl = z
  .string()
  .max(2_000)
  .superRefine((url, ctx) => {
    // References may stand anywhere, even in the host: check the shape with them filled.
    let parsed: URL;
    try {
      parsed = new URL(url.replace(REFERENCE, "x"));
    } catch {
      ctx.addIssue({ code: "custom", message: `"${url}" is not a URL` });
      return;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      ctx.addIssue({
        code: "custom",
        message: `"${url}" is not an http(s) URL (it is ${parsed.protocol.slice(0, -1)})`,
      });
  });

const stdioEntry = z
  .object({
    type: z.literal("stdio"),
    command: z.string().min(1).max(1_000),
    args: z.array(z.string().max(8_000)).max(100).optional(),
    env: stringMap.optional(),
  })
  .strict();

const remoteEntry = (type: "http" | "sse") =>
  z.object({ type: z.literal(type), url: httpUrl, headers: stringMap.optional() }).strict();

/** An entry as .mcp.json holds it; a missing "type" with a "command" means stdio, as there. */
export const mcpEntry = z.preprocess(
  (value) =>
    value && typeof value === "object" && !("type" in value) && "command" in value
      ? { type: "stdio", ...value }
      : value,
  z.discriminatedUnion("type", [stdioEntry, remoteEntry("http"), remoteEntry("sse")], {
    error: 'type must be "stdio", "http" or "sse"',
  }),
);

export type McpEntry = z.infer<typeof mcpEntry>;
export type StdioEntry = Extract<McpEntry, { type: "stdio" }>;
export type RemoteEntry = Extract<McpEntry, { type: "http" | "sse" }>;

/** The secret names an entry refers to, in order of appearance, without repeats. */
export function referencedSecrets(entry: McpEntry): string[] {
  const names = new Set<string>();
  for (const text of entryTexts(entry))
    for (const match of text.matchAll(REFERENCE)) names.add(match[1]!);
  return [...names];
}

function entryTexts(entry: McpEntry): string[] {
  if (entry.type === "stdio")
    return [entry.command, ...(entry.args ?? []), ...Object.values(entry.env ?? {})];
  return [entry.url, ...Object.values(entry.headers ?? {})];
}

/**
 * What is wrong with an entry beyond its shape, or undefined: a reference that is not a
 * secret name, a secret on a command line (every user on the machine can read a process's
 * command line in /proc; env is private to its user), a command that does not exist.
 */
export function entryProblem(entry: McpEntry, path: string): string | undefined {
  for (const text of entryTexts(entry))
    for (const match of text.matchAll(REFERENCE))
      if (!SECRET_NAME.test(match[1]!))
        return `"\${${match[1]}}" is not a secret name: use upper-case letters, digits and "_"`;
  if (entry.type !== "stdio") return undefined;
  if ([entry.command, ...(entry.args ?? [])].some((text) => text.match(REFERENCE)))
    return "a stdio server's command and args cannot hold secrets: any process on the machine can read a command line; pass them in env instead";
  if (!findCommand(entry.command, path))
    return `the command "${entry.command}" does not exist${isAbsolute(entry.command) ? "" : " on the service's PATH"} (or is not executable)`;
  return undefined;
}

/** The command's full path: itself when absolute, else the first match on `path`. */
export function findCommand(command: string, path: string): string | undefined {
  const candidates = command.includes("/")
    ? isAbsolute(command)
      ? [command]
      : []
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export class MissingSecretError extends Error {}

/** The entry with every `${NAME}` replaced by its secret; throws naming a missing one. */
export function resolveEntry(entry: McpEntry, secrets: ReadonlyMap<string, string>): McpEntry {
  const fill = (text: string) =>
    text.replace(REFERENCE, (_, name: string) => {
      const value = secrets.get(name);
      if (value === undefined)
        throw new MissingSecretError(
          `the secret ${name} is not set (set it on the MCP page, with "pincer mcp secret set ${name}" or PUT /api/mcp-secrets/${name})`,
        );
      return value;
    });
  const fillMap = (map: Record<string, string> | undefined) =>
    map && Object.fromEntries(Object.entries(map).map(([key, value]) => [key, fill(value)]));
  if (entry.type === "stdio") return { ...entry, env: fillMap(entry.env) };
  return { ...entry, url: fill(entry.url), headers: fillMap(entry.headers) };
}

/** A secret as it may be shown: its length and last two characters at most. */
export function maskSecret(value: string): string {
  return value.length < 12 ? "••••" : `••••${value.slice(-2)}`;
}

const toolNames = z.array(z.string().min(1).max(200)).max(500).nullable();

/** Splits a flat request ({"name", "group", "allowedTools", ...entry}) into its parts. */
function splitEntry(value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  const { name, group, allowedTools, ...entry } = value as Record<string, unknown>;
  return { name, group, allowedTools, entry };
}

/** A new server as the API and CLI send it: name, group (omitted = every group), entry. */
export const newServer = z.preprocess(
  splitEntry,
  z
    .object({
      name: serverName,
      group: z.string().min(1).max(64).nullable().optional(),
      allowedTools: toolNames.optional(),
      entry: mcpEntry,
    })
    .strict(),
);
export type NewServer = z.infer<typeof newServer>;

/** A change: any of the entry's fields (merged over the stored entry), group, allow-list. */
export const serverChange = z
  .object({
    group: z.string().min(1).max(64).nullable().optional(),
    allowedTools: toolNames.optional(),
    type: z.string().optional(),
    url: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    command: z.string().optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type ServerChange = z.infer<typeof serverChange>;
