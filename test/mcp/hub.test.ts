// The host as MCP client, on a real store, against loopback MCP servers: the bearer token
// comes only from a host secret, tools reach a session as an in-process server, calls are
// forwarded, counted and capped, and a server that is down costs one line.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { McpSdkServerConfigWithInstance } from "@anthropic-ai/claude-agent-sdk";
import { createLogger, RecentLines } from "../../src/log.ts";
import { McpHub } from "../../src/mcp/hub.ts";
import type { StdioRunner } from "../../src/mcp/stdio-servers.ts";
import { mcpEntry } from "../../src/mcp/config.ts";
import { setSecret } from "../../src/store/host-secrets.ts";
import { getMcpServer, insertMcpServer } from "../../src/store/mcp-servers.ts";
import { openTempStore, type TempStore } from "../helpers/store.ts";
import { deferred } from "../helpers/wait.ts";
import { startHttpMcpFake, startSseMcpFake, type HttpMcpFake } from "../fakes/mcp/server.ts";

const TOKEN = "mcp-bearer-token-from-a-host-secret-5d1e";
const STDIO_SCRIPT = fileURLToPath(new URL("../fakes/mcp/stdio-server.ts", import.meta.url));

/** Runs stdio servers as this process's user: the isolation itself is the e2e tests'. */
const plainStdio: StdioRunner = {
  prepare: async (_folder, entry) => ({
    command: entry.command,
    args: entry.args ?? [],
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...entry.env },
  }),
  stopped: async () => undefined,
};

async function clientOf(server: McpSdkServerConfigWithInstance): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.instance.connect(serverSide);
  const client = new Client({ name: "agent", version: "1" });
  await client.connect(clientSide);
  return client;
}

function textOf(result: unknown): string {
  return (result as { content: { text?: string }[] }).content.map((c) => c.text ?? "").join("");
}

describe("the MCP hub", () => {
  let store: TempStore;
  let http: HttpMcpFake;
  let hub: McpHub;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    store = openTempStore();
    http = await startHttpMcpFake(TOKEN);
    hub = new McpHub({
      db: store.db,
      logger: createLogger("silent", { write: () => undefined }, new RecentLines(10)),
      stdio: plainStdio,
      defaultFolder: () => "main",
      callTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      maxResultChars: 1_000,
      idleMs: 60_000,
    });
    const add = (name: string, entry: unknown, allowedTools: string[] | null = null) =>
      insertMcpServer(store.db, {
        name,
        group: null,
        entry: mcpEntry.parse(entry),
        allowedTools,
        pending: false,
      });
    add(
      "notes",
      { type: "http", url: http.url, headers: { Authorization: "Bearer ${NOTES_TOKEN}" } },
      ["lookup", "big"],
    );
    add("calc", {
      command: process.execPath,
      args: [STDIO_SCRIPT],
      env: { FAKE_SECRET: "${CALC_KEY}" },
    });
  });
  after(async () => {
    for (const close of closers) await close();
    await hub.closeAll();
    await http.close();
    store.close();
  });

  it("leaves out a server whose secret is not set, saying so in one line", async () => {
    setSecret(store.db, "CALC_KEY", "calc-key-value-0001");
    const { servers, notes } = await hub.forGroup("main");
    assert.deepEqual(Object.keys(servers), ["calc"]);
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /"notes" is unavailable \(the secret NOTES_TOKEN is not set/);
    assert.equal(hub.state("notes").status, "failing");
  });

  it("says a wrong token needs sign-in, and the server never saw the right one", async () => {
    setSecret(store.db, "NOTES_TOKEN", "not-the-token");
    await hub.changed("notes", [null]);
    const { servers, notes } = await hub.forGroup("main");
    assert.equal(servers.notes, undefined);
    assert.match(notes.join("\n"), /refused the credentials \(401\)/);
    assert.equal(hub.state("notes").status, "needs_sign_in");
  });

  it("offers the allowed tools of a server reached with the secret, forwards and counts calls", async () => {
    setSecret(store.db, "NOTES_TOKEN", TOKEN);
    await hub.changed("notes", [null]);
    const { servers, notes } = await hub.forGroup("main");
    assert.deepEqual(notes, []);
    const client = await clientOf(servers.notes!);
    closers.push(() => client.close());
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ["big", "lookup"]);
    const result = await client.callTool({ name: "lookup", arguments: { title: "shopping" } });
    assert.equal(textOf(result), 'note "shopping": buy oat milk');
    const hidden = await client.callTool({ name: "hidden", arguments: {} });
    assert.equal(hidden.isError, true);
    assert.equal(http.calls.filter((call) => call.tool === "hidden").length, 0);
    assert.equal(getMcpServer(store.db, "notes")!.calls, 1);
    assert.equal(hub.state("notes").status, "connected");
  });

  it("cuts a result larger than the cap and says so", async () => {
    const { servers } = await hub.forGroup("main");
    const client = await clientOf(servers.notes!);
    closers.push(() => client.close());
    const text = textOf(await client.callTool({ name: "big", arguments: { size: 5_000 } }));
    assert.ok(text.startsWith("x".repeat(1_000)));
    assert.doesNotMatch(text, /x{1001}/);
    assert.match(text, /The result was cut: it is larger than 1000 characters/);
  });

  it("runs a stdio server with the secret in its environment only", async () => {
    const { servers } = await hub.forGroup("main");
    const client = await clientOf(servers.calc!);
    closers.push(() => client.close());
    const me = JSON.parse(textOf(await client.callTool({ name: "whoami", arguments: {} }))) as {
      hasSecret: boolean;
    };
    assert.equal(me.hasSecret, true);
    assert.equal(textOf(await client.callTool({ name: "add", arguments: { a: 2, b: 3 } })), "5");
  });

  it("reaches an SSE server with its header on the stream and on every message", async (t) => {
    const sse = await startSseMcpFake(TOKEN);
    t.after(() => sse.close());
    insertMcpServer(store.db, {
      name: "feed",
      group: "sse-group",
      entry: mcpEntry.parse({
        type: "sse",
        url: sse.url,
        headers: { Authorization: "Bearer ${NOTES_TOKEN}" },
      }),
      allowedTools: null,
      pending: false,
    });
    const { servers, notes } = await hub.forGroup("sse-group");
    assert.deepEqual(notes, []);
    const client = await clientOf(servers.feed!);
    closers.push(() => client.close());
    const result = await client.callTool({ name: "lookup", arguments: { title: "news" } });
    assert.equal(textOf(result), 'note "news": buy oat milk');
    assert.equal(sse.refused, 0);
    await hub.changed("feed", ["sse-group"]);
  });

  it("tests a server without keeping the connection, and names a server that is down", async () => {
    const { tools } = await hub.test("notes");
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ["big", "hidden", "lookup"]);
    insertMcpServer(store.db, {
      name: "down",
      group: "other",
      entry: mcpEntry.parse({ type: "http", url: "http://127.0.0.1:9/mcp" }),
      allowedTools: null,
      pending: false,
    });
    await assert.rejects(hub.test("down"), /ECONNREFUSED|fetch failed/);
    const mainServers = await hub.forGroup("main");
    assert.equal(mainServers.servers.down, undefined, "a server of another group is not offered");
    const other = await hub.forGroup("other");
    assert.match(other.notes.join("\n"), /"down" is unavailable/);
    assert.ok(other.servers.notes, "the rest works");
  });

  it("stops a group's stdio servers when idle, and reaps their user after the last one", async (t) => {
    const stopped = deferred<string>();
    const idle = new McpHub({
      db: store.db,
      logger: createLogger("silent", { write: () => undefined }, new RecentLines(10)),
      stdio: { ...plainStdio, stopped: async (folder) => stopped.resolve(folder) },
      defaultFolder: () => "main",
      callTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      maxResultChars: 1_000,
      idleMs: 1,
    });
    t.after(() => idle.closeAll());
    const { servers } = await idle.forGroup("main");
    assert.ok(servers.calc);
    assert.equal(await stopped.promise, "main");
  });

  it("tells the groups a changed server serves", async () => {
    const changed: (string | null)[] = [];
    hub.on("changed", (folder) => changed.push(folder));
    await hub.changed("down", ["other", "other"]);
    assert.deepEqual(changed, ["other"]);
  });
});
