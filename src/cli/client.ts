// Talks to the running service's JSON API with the admin token, and turns what can go
// wrong into one clear sentence: where it tried, which token source it used (never the
// token itself), what the service said.
import { existsSync, readFileSync } from "node:fs";
import { hc, type ClientResponse } from "hono/client";
import { adminTokenFile } from "../data-layout.ts";
import type { AppType } from "../web/server.ts";
import { CliError } from "./errors.ts";

export interface TokenChoice {
  value: string;
  /** Where the token came from, for messages: "--token", "PINCER_TOKEN", a file path. */
  source: string;
}

/** --token, then PINCER_TOKEN, then the service's own ADMIN_TOKEN, then DATA_DIR/admin-token. */
export function chooseToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): TokenChoice | undefined {
  if (flag) return { value: flag, source: "--token" };
  if (env.PINCER_TOKEN) return { value: env.PINCER_TOKEN, source: "PINCER_TOKEN" };
  if (env.ADMIN_TOKEN) return { value: env.ADMIN_TOKEN, source: "ADMIN_TOKEN" };
  const file = adminTokenFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const value = readFileSync(file, "utf8").trim();
    return value ? { value, source: file } : undefined;
  } catch {
    return undefined;
  }
}

export function serviceUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw = flag ?? env.PINCER_URL ?? `http://127.0.0.1:${env.PORT || 3000}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`not a URL: ${raw} (expected e.g. http://127.0.0.1:3000)`, 2);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new CliError(`not an http(s) URL: ${raw}`, 2);
  return raw.replace(/\/+$/, "");
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON: fall back to the text itself
  }
  return text.trim().slice(0, 200) || response.statusText;
}

/** The JSON API under /api/, typed from the server's routes (a type-only import: no server code here). */
export type Api = ReturnType<typeof hc<AppType>>["api"];

/** The JSON body of a reply that succeeded: failures never get this far (see `ApiClient`). */
export type Success<R> = Exclude<R, { ok: false }> extends { json(): Promise<infer T> } ? T : never;

export async function jsonOf<R extends ClientResponse<unknown>>(
  reply: Promise<R>,
): Promise<Success<R>> {
  return (await (await reply).json()) as Success<R>;
}

export class ApiClient {
  readonly url: string;
  /** Every call sends the admin token and throws CliError unless the reply is a success. */
  readonly api: Api;
  private readonly token: TokenChoice | undefined;
  private readonly missingToken: string;

  constructor(url: string, token: TokenChoice | undefined, dataDir: string) {
    this.url = url;
    this.token = token;
    this.missingToken = `no admin token: pass --token, set PINCER_TOKEN, or run where ${adminTokenFile(dataDir)} is readable`;
    this.api = hc<AppType>(url, {
      headers: token ? { authorization: `Bearer ${token.value}` } : {},
      // hc always passes the URL as a string.
      fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
        this.send(String(input), init),
    }).api;
  }

  /**
   * POSTs `body` (a file's stream) as the request body itself, which the typed routes do
   * not describe: a skill archive, read by the service as it arrives.
   */
  async upload(path: string, body: ReadableStream<Uint8Array>): Promise<unknown> {
    const response = await this.send(`${this.url}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${this.token?.value ?? ""}`,
        "content-type": "application/octet-stream",
      },
      body,
      duplex: "half",
    } as RequestInit);
    return response.json();
  }

  private async send(target: string, init: RequestInit = {}): Promise<Response> {
    if (!this.token) throw new CliError(this.missingToken);
    const method = init.method ?? "GET";
    const path = target.startsWith(this.url) ? target.slice(this.url.length) : target;
    let response: Response;
    try {
      response = await fetch(target, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new CliError(
        `cannot reach the Pincer service at ${this.url} (${why}): is it running? Use --url or PINCER_URL if it listens elsewhere`,
      );
    }
    if (response.ok) return response;
    const reason = await errorText(response);
    if (response.status === 401)
      throw new CliError(
        `the service at ${this.url} refused the admin token from ${this.token.source} (${reason})`,
      );
    throw new CliError(`${method} ${path} failed: ${response.status} ${reason}`);
  }
}
