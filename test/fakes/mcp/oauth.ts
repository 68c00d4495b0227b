// An MCP server behind a loopback OAuth authorization server, by hand on node:http: the
// server answers 401 with its protected resource metadata; the authorization server
// publishes its metadata, registers clients dynamically, shows an "Allow" page, checks
// PKCE (S256) at the token endpoint and refreshes tokens. `expireTokens()` makes every
// access token issued so far stale, so the next call must refresh.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { notesServer, type HttpMcpFake } from "./server.ts";

export interface OAuthMcpFake extends HttpMcpFake {
  /** Grants seen at the token endpoint, in order ("authorization_code", "refresh_token"). */
  grants: string[];
  registered: number;
  expireTokens(): void;
}

const token = () => randomBytes(18).toString("base64url");

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function json(res: ServerResponse, status: number, value: unknown, headers = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
}

export async function startOAuthMcpFake(): Promise<OAuthMcpFake> {
  const calls: HttpMcpFake["calls"] = [];
  const grants: string[] = [];
  const clients = new Map<string, { redirect_uris: string[] }>();
  const codes = new Map<string, { challenge: string; clientId: string; redirect: string }>();
  const access = new Set<string>();
  const refresh = new Set<string>();
  const counts = { refused: 0, requests: 0, registered: 0 };
  let base = "";

  const issue = (res: ServerResponse) => {
    const pair = { access: token(), refresh: token() };
    access.add(pair.access);
    refresh.add(pair.refresh);
    json(res, 200, {
      access_token: pair.access,
      token_type: "Bearer",
      expires_in: 3600,
      refresh_token: pair.refresh,
    });
  };

  const http = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", base);
      const path = url.pathname;
      if (path.startsWith("/.well-known/oauth-protected-resource"))
        return json(res, 200, { resource: `${base}/mcp`, authorization_servers: [base] });
      if (path === "/.well-known/oauth-authorization-server")
        return json(res, 200, {
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          registration_endpoint: `${base}/register`,
          response_types_supported: ["code"],
          grant_types_supported: ["authorization_code", "refresh_token"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["none"],
        });
      if (path === "/register" && req.method === "POST") {
        const metadata = JSON.parse(await readBody(req)) as { redirect_uris: string[] };
        const clientId = `client-${++counts.registered}`;
        clients.set(clientId, metadata);
        return json(res, 201, { ...metadata, client_id: clientId });
      }
      if (path === "/authorize") {
        const q = url.searchParams;
        const client = clients.get(q.get("client_id") ?? "");
        const redirect = q.get("redirect_uri") ?? "";
        if (
          !client ||
          !client.redirect_uris.includes(redirect) ||
          q.get("code_challenge_method") !== "S256"
        )
          return json(res, 400, { error: "invalid_request" });
        const code = token();
        codes.set(code, {
          challenge: q.get("code_challenge")!,
          clientId: q.get("client_id")!,
          redirect,
        });
        const back = new URL(redirect);
        back.searchParams.set("code", code);
        back.searchParams.set("state", q.get("state") ?? "");
        // The sign-in page: one button, as a provider's consent screen.
        res.writeHead(200, { "content-type": "text/html" });
        res.end(
          `<!doctype html><title>Fake provider</title><a id="allow" href="${back.href.replace(/&/g, "&amp;")}">Allow</a>`,
        );
        return;
      }
      if (path === "/token" && req.method === "POST") {
        const form = new URLSearchParams(await readBody(req));
        const grant = form.get("grant_type") ?? "";
        grants.push(grant);
        if (grant === "authorization_code") {
          const pending = codes.get(form.get("code") ?? "");
          codes.delete(form.get("code") ?? "");
          const verifier = form.get("code_verifier") ?? "";
          const challenge = createHash("sha256").update(verifier).digest("base64url");
          if (
            !pending ||
            pending.challenge !== challenge ||
            pending.redirect !== form.get("redirect_uri")
          )
            return json(res, 400, { error: "invalid_grant" });
          return issue(res);
        }
        if (grant === "refresh_token" && refresh.delete(form.get("refresh_token") ?? ""))
          return issue(res);
        return json(res, 400, { error: "invalid_grant" });
      }
      if (path === "/mcp") {
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
        if (!bearer || !access.has(bearer)) {
          counts.refused++;
          return json(
            res,
            401,
            { error: "invalid_token" },
            {
              "www-authenticate": `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
            },
          );
        }
        counts.requests++;
        const server = notesServer(calls);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        res.on("close", () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        const body =
          req.method === "POST" ? (JSON.parse(await readBody(req)) as unknown) : undefined;
        await transport.handleRequest(req, res, body);
        return;
      }
      json(res, 404, { error: "not_found" });
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url: `${base}/mcp`,
    calls,
    grants,
    get refused() {
      return counts.refused;
    },
    get requests() {
      return counts.requests;
    },
    get registered() {
      return counts.registered;
    },
    expireTokens: () => access.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
