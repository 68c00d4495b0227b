// Signing in to a remote MCP server with OAuth against a loopback authorization server:
// discovery from the 401, dynamic client registration, PKCE, a one-use state, tokens kept
// in the host's store and refreshed when the server stops taking them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createLogger, RecentLines } from "../../src/log.ts";
import { McpHub } from "../../src/mcp/hub.ts";
import { finishSignIn, SignInError, startSignIn } from "../../src/mcp/oauth.ts";
import { getMcpOAuth } from "../../src/store/mcp-oauth.ts";
import { insertMcpServer } from "../../src/store/mcp-servers.ts";
import { openTempStore, type TempStore } from "../helpers/store.ts";
import { startOAuthMcpFake, type OAuthMcpFake } from "../fakes/mcp/oauth.ts";

const CALLBACK = "http://127.0.0.1:1/mcp/oauth/callback";

describe("OAuth sign-in to an MCP server", () => {
  let store: TempStore;
  let fake: OAuthMcpFake;
  let hub: McpHub;

  before(async () => {
    store = openTempStore();
    fake = await startOAuthMcpFake();
    hub = new McpHub({
      db: store.db,
      logger: createLogger("silent", { write: () => undefined }, new RecentLines(10)),
      stdio: {
        prepare: () => Promise.reject(new Error("no stdio")),
        stopped: async () => undefined,
      },
      defaultFolder: () => "main",
      callTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      maxResultChars: 10_000,
      idleMs: 60_000,
    });
    insertMcpServer(store.db, {
      name: "cal",
      group: null,
      entry: { type: "http", url: fake.url },
      allowedTools: null,
      pending: false,
    });
  });
  after(async () => {
    await hub.closeAll();
    await fake.close();
    store.close();
  });

  async function call(): Promise<string> {
    const { servers, notes } = await hub.forGroup("main");
    assert.deepEqual(notes, []);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await servers.cal!.instance.connect(serverSide);
    const client = new Client({ name: "agent", version: "1" });
    await client.connect(clientSide);
    const result = await client.callTool({ name: "lookup", arguments: { title: "dentist" } });
    await client.close();
    return (result.content as { text: string }[])[0]!.text;
  }

  it("says a server that wants sign-in needs it, before anyone connected", async () => {
    const { servers, notes } = await hub.forGroup("main");
    assert.equal(servers.cal, undefined);
    assert.match(notes.join("\n"), /sign in with Connect on the MCP page/);
    assert.equal(hub.state("cal").status, "needs_sign_in");
  });

  it("signs in: registration, PKCE, the code traded once for tokens kept host-side", async () => {
    const started = await startSignIn(store.db, "cal", CALLBACK);
    assert.ok("authorizationUrl" in started);
    const authorize = new URL(started.authorizationUrl);
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorize.searchParams.get("redirect_uri"), CALLBACK);
    assert.equal(fake.registered, 1);
    const page = await (await fetch(authorize)).text();
    const back = new URL(/href="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, "&"));
    const code = back.searchParams.get("code")!;
    const state = back.searchParams.get("state")!;
    assert.equal(await finishSignIn(store.db, state, code), "cal");
    await assert.rejects(finishSignIn(store.db, state, code), SignInError, "a state is used once");
    const stored = getMcpOAuth(store.db, "cal")!;
    assert.ok((stored.tokens as { access_token?: string }).access_token);
    assert.equal(stored.verifier, null);
    await hub.changed("cal", [null]);
    assert.equal(await call(), 'note "dentist": buy oat milk');
    assert.deepEqual(fake.grants, ["authorization_code"]);
  });

  it("refreshes the token when the server stops taking it", async () => {
    fake.expireTokens();
    assert.equal(await call(), 'note "dentist": buy oat milk');
    assert.deepEqual(fake.grants, ["authorization_code", "refresh_token"]);
  });

  it("refuses to start a sign-in for a server that does not exist", async () => {
    await assert.rejects(startSignIn(store.db, "nothing", CALLBACK), /no MCP server "nothing"/);
  });
});
