// Why an MCP server cannot be used, as the MCP page shows it: a refused credential needs
// the owner to sign in (or fix a header or secret); anything else is a failure in words.
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

export type ServerStatus = "connected" | "needs_sign_in" | "failing" | "not_connected";

export class ConnectError extends Error {
  readonly status: ServerStatus;
  constructor(status: ServerStatus, message: string) {
    super(message);
    this.status = status;
  }
}

export function classify(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const message = (error as Error).message ?? String(error);
  const code = (error as { code?: unknown }).code;
  if (error instanceof UnauthorizedError || code === 401 || /\b401\b/.test(message))
    return new ConnectError(
      "needs_sign_in",
      "the server refused the credentials (401): sign in with Connect on the MCP page, or check its headers and secrets",
    );
  if (/timed out|timeout/i.test(message))
    return new ConnectError("failing", "it did not answer in time");
  return new ConnectError("failing", message);
}
