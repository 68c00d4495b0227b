// What a command gets from the process: environment, working directory and streams. Tests
// pass their own.
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { defaultDataDir } from "../config.ts";
import { ApiClient, chooseToken, serviceUrl } from "./client.ts";
import { UsageError } from "./errors.ts";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

/** Options every command that talks to the service takes. */
export const CONNECTION_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  "data-dir": { type: "string" },
  json: { type: "boolean" },
} as const;

/** parseArgs, with a wrong command line reported as a usage error of `command`. */
export function parseCommand<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

export function dataDirOf(flag: string | undefined, io: CliIo): string {
  const chosen = flag ?? io.env.DATA_DIR;
  return chosen ? resolve(io.cwd, chosen) : defaultDataDir();
}

export function clientFor(
  values: { url?: string; token?: string; "data-dir"?: string },
  io: CliIo,
): ApiClient {
  const dataDir = dataDirOf(values["data-dir"], io);
  return new ApiClient(
    serviceUrl(values.url, io.env),
    chooseToken(values.token, io.env, dataDir),
    dataDir,
  );
}

export function print(io: CliIo, text: string): void {
  io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
