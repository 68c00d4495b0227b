// OAuth sign-in to a remote MCP server, with the MCP SDK's client auth (protected resource
// metadata, dynamic client registration, PKCE, refresh). The provider keeps everything in
// the host's store: the agent never sees a token, and a restart keeps the sign-in.
import { randomBytes } from "node:crypto";
import { auth, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { registerSecret } from "../log.ts";
import type { Db } from "../store/db.ts";
import { allSecrets } from "../store/host-secrets.ts";
import { getMcpServer } from "../store/mcp-servers.ts";
import { beginMcpOAuth, getMcpOAuth, mcpOAuthByState, setMcpOAuth } from "../store/mcp-oauth.ts";
import { mcpEntry, resolveEntry } from "./config.ts";

/** Where the provider sends the owner back: a path on Pincer's own URL. */
export const OAUTH_CALLBACK_PATH = "/mcp/oauth/callback";

export class StoredOAuth implements OAuthClientProvider {
  private readonly db: Db;
  private readonly server: string;
  /** Set when the SDK wants the owner sent to the provider's sign-in page. */
  authorizationUrl: URL | undefined;

  constructor(db: Db, server: string) {
    this.db = db;
    this.server = server;
  }

  private get row() {
    return getMcpOAuth(this.db, this.server);
  }

  get redirectUrl(): string {
    const row = this.row;
    if (!row) throw new Error(`no sign-in was started for "${this.server}"`);
    return row.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "Pincer",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  state(): string {
    const state = randomBytes(24).toString("base64url");
    setMcpOAuth(this.db, this.server, "state", state);
    return state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.row?.client as OAuthClientInformationMixed | undefined;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    setMcpOAuth(this.db, this.server, "client", information);
  }

  tokens(): OAuthTokens | undefined {
    return this.row?.tokens as OAuthTokens | undefined;
  }

  saveTokens(tokens: OAuthTokens): void {
    registerSecret(tokens.access_token);
    registerSecret(tokens.refresh_token);
    setMcpOAuth(this.db, this.server, "tokens", tokens);
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveCodeVerifier(verifier: string): void {
    setMcpOAuth(this.db, this.server, "verifier", verifier);
  }

  codeVerifier(): string {
    const verifier = this.row?.verifier;
    if (!verifier) throw new Error(`no sign-in is under way for "${this.server}"`);
    return verifier;
  }

  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "client") setMcpOAuth(this.db, this.server, "client", null);
    if (scope === "all" || scope === "tokens") setMcpOAuth(this.db, this.server, "tokens", null);
    if (scope === "all" || scope === "verifier")
      setMcpOAuth(this.db, this.server, "verifier", null);
  }
}

export class SignInError extends Error {}

/** The URL a remote server's entry resolves to (its secrets filled in). */
function serverUrl(db: Db, name: string): string {
  const row = getMcpServer(db, name);
  if (!row) throw new SignInError(`no MCP server "${name}"`);
  // Signing in to a server nobody approved would hand it the owner's account.
  if (row.pending) throw new SignInError(`"${name}" waits for approval: approve it first`);
  const entry = resolveEntry(mcpEntry.parse(row.entry), allSecrets(db));
  if (entry.type === "stdio")
    throw new SignInError(`"${name}" is a stdio server: it has no sign-in`);
  return entry.url;
}

/**
 * Starts signing in to `name`: discovery, client registration, PKCE. Gives the provider's
 * page to send the owner to, or `connected` when stored tokens already work.
 */
export async function startSignIn(
  db: Db,
  name: string,
  redirectUrl: string,
): Promise<{ authorizationUrl: string } | { connected: true }> {
  const url = serverUrl(db, name);
  beginMcpOAuth(db, name, redirectUrl);
  const provider = new StoredOAuth(db, name);
  const result = await auth(provider, { serverUrl: url });
  if (result === "AUTHORIZED") return { connected: true };
  if (!provider.authorizationUrl) throw new SignInError("the server named no sign-in page");
  return { authorizationUrl: provider.authorizationUrl.href };
}

/** The owner came back from the provider: trades the code for tokens; returns the server's name. */
export async function finishSignIn(db: Db, state: string, code: string): Promise<string> {
  const record = mcpOAuthByState(db, state);
  if (!record)
    throw new SignInError("this sign-in link is unknown or was already used: press Connect again");
  // One use only: a replayed callback finds nothing.
  setMcpOAuth(db, record.server, "state", null);
  const url = serverUrl(db, record.server);
  await auth(new StoredOAuth(db, record.server), { serverUrl: url, authorizationCode: code });
  setMcpOAuth(db, record.server, "verifier", null);
  return record.server;
}
