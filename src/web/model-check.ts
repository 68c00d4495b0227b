// Proves the model credential works: one real, minimal request (max_tokens 1) through the
// credential proxy, the same path the agents use, so a wrong key, an unreachable gateway or
// a spent budget shows up on the setup page with the upstream's own words.
import type { CredentialProxy, Upstream } from "../agent/credential-proxy.ts";
import { redactSecrets } from "../log.ts";

/** A small, cheap model every Anthropic API key can use; MODEL overrides it. */
export const DEFAULT_CHECK_MODEL = "claude-haiku-4-5";
const TIMEOUT_MS = 60_000;

export interface ModelCheck {
  ok: boolean;
  at: number;
  model: string;
  /** The upstream's HTTP status, when a response came. */
  status?: number;
  error?: string;
  latencyMs?: number;
}

export interface ModelCheckerOptions {
  proxy: Pick<CredentialProxy, "url" | "issueToken" | "revokeToken">;
  /** Whose usage (and budget) the check counts against. */
  groupId: number;
  model: string | undefined;
  /** What is wrong with the credential in force (read at each check: settings change it). */
  credentialProblem(): string | undefined;
}

function describeFailure(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { type?: string; message?: string } };
    if (parsed.error?.message)
      return `${status} ${parsed.error.type ?? "error"}: ${parsed.error.message}`;
  } catch {
    // not JSON: show the text itself
  }
  return `${status}: ${body.slice(0, 500) || "no body"}`;
}

export class ModelChecker {
  private readonly options: ModelCheckerOptions;
  private running: Promise<ModelCheck> | undefined;
  last: ModelCheck | undefined;

  constructor(options: ModelCheckerOptions) {
    this.options = options;
  }

  /** Runs the check of the credential in force (or joins the one already running). */
  verify(): Promise<ModelCheck> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Checks a credential that is not saved yet; the result is not kept as the last check. */
  tryUpstream(upstream: Upstream): Promise<ModelCheck> {
    return this.request(upstream);
  }

  private async run(): Promise<ModelCheck> {
    const problem = this.options.credentialProblem();
    if (problem) {
      const model = this.options.model ?? DEFAULT_CHECK_MODEL;
      return (this.last = { ok: false, at: Date.now(), model, error: problem });
    }
    return (this.last = await this.request(undefined));
  }

  private async request(upstream: Upstream | undefined): Promise<ModelCheck> {
    const { proxy } = this.options;
    const model = this.options.model ?? DEFAULT_CHECK_MODEL;
    const at = Date.now();
    const token = proxy.issueToken(this.options.groupId, upstream);
    try {
      const response = await fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "anthropic-version": "2023-06-01",
          "x-api-key": token,
        },
        body: JSON.stringify({
          model,
          max_tokens: 1,
          messages: [{ role: "user", content: "Reply with OK." }],
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = await response.text();
      const latencyMs = Date.now() - at;
      return response.ok
        ? { ok: true, at, model, status: response.status, latencyMs }
        : {
            ok: false,
            at,
            model,
            status: response.status,
            error: redactSecrets(describeFailure(response.status, body)),
            latencyMs,
          };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, at, model, error: redactSecrets(`request failed: ${message}`) };
    } finally {
      proxy.revokeToken(token);
    }
  }
}
