// MCP servers end to end: the service as a process, the real Agent SDK and CLI, a fake
// model that calls mcp__<server>__<tool>, and loopback MCP servers. The HTTP server's
// bearer token exists only as a host secret; the stdio server runs as a user of its own.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  toolResults,
  type AnthropicFake,
  type MessagesRequest,
} from "../fakes/anthropic/server.ts";
import { startHttpMcpFake, type HttpMcpFake } from "../fakes/mcp/server.ts";
import {
  api,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const TOKEN = "mcp-e2e-bearer-token-9c41d7";
const STDIO_SCRIPT = fileURLToPath(new URL("../fakes/mcp/stdio-server.ts", import.meta.url));
const REPLY_TIMEOUT = 90_000;
const isRoot = process.getuid?.() === 0;

const CALLS: Record<string, { name: string; input: Record<string, unknown> }> = {
  "call:notes": { name: "mcp__notes__lookup", input: { title: "shopping" } },
  "call:calc": { name: "mcp__calc__whoami", input: {} },
  "call:agent": { name: "Bash", input: { command: "id -u" } },
};

function toolNames(request: MessagesRequest): string[] {
  return (request.tools ?? []).map((tool) => tool.name);
}

describe("MCP servers the owner adds", () => {
  const dataDir = tempDir();
  let model: AnthropicFake;
  let notes: HttpMcpFake;
  let service: Service;

  const post = (path: string, body: unknown, method = "POST") =>
    api(service, path, { method, body: JSON.stringify(body) });

  async function ask(text: string): Promise<string> {
    const sse = listen(service);
    await sse.ready;
    const before = sse.messages().length;
    await sendChat(service, text);
    const reply = await waitFor(
      () => sse.messages()[before],
      `the reply to ${text}`,
      REPLY_TIMEOUT,
    );
    await sse.close();
    return reply.text;
  }

  before(async () => {
    model = await startAnthropicFake((request) => {
      if (isToolResultTurn(request))
        return { text: `result: ${JSON.stringify(toolResults(request)[0]?.content ?? "")}` };
      const text = lastUserText(request);
      if (text.includes("call:file"))
        return {
          toolUse: {
            name: "mcp__pincer__add_mcp_server",
            input: {
              name: "wiki",
              type: "http",
              url: notes.url,
              headers: { Authorization: "Bearer ${NOTES_TOKEN}" },
            },
          },
        };
      const call = Object.entries(CALLS).find(([marker]) => text.includes(marker));
      return call ? { toolUse: call[1] } : { text: `echo: ${text.slice(-40)}` };
    });
    notes = await startHttpMcpFake(TOKEN);
    service = await startService({
      dataDir,
      env: { ANTHROPIC_API_KEY: "sk-ant-mcp-e2e-0000", ANTHROPIC_BASE_URL: model.url },
    });
  });
  after(async () => {
    await service?.stop();
    await notes?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("refuses bad entries with the reason", async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: "x", type: "http", url: "file:///etc/passwd" }, /not an http\(s\) URL/],
      [{ name: "a__b", type: "http", url: "https://x.example/" }, /contains "__"/],
      [{ name: "a/b", type: "http", url: "https://x.example/" }, /contains "\/"/],
      [{ name: "x", type: "stdio", command: "no-such-mcp-server" }, /does not exist/],
      [
        { name: "x", type: "http", url: "https://x.example/", group: "nobody" },
        /no registered group/,
      ],
    ];
    for (const [body, reason] of cases) {
      const response = await post("/api/mcp-servers", body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(((await response.json()) as { error: string }).error, reason);
    }
  });

  it("offers a server added while the session is warm at the next turn, and forwards its calls", async () => {
    assert.match(await ask("hello"), /^echo: /);
    const offeredBefore = toolNames(model.mainRequests().at(-1)!.body);
    assert.ok(!offeredBefore.some((name) => name.startsWith("mcp__notes__")));

    let response = await post("/api/mcp-secrets/NOTES_TOKEN", { value: TOKEN }, "PUT");
    assert.equal(response.status, 200);
    response = await post("/api/mcp-servers", {
      name: "notes",
      type: "http",
      url: notes.url,
      headers: { Authorization: "Bearer ${NOTES_TOKEN}" },
      allowedTools: ["lookup", "big"],
    });
    assert.equal(response.status, 201, await response.clone().text());
    assert.equal(
      (
        await post("/api/mcp-servers", {
          name: "down",
          type: "http",
          url: "http://127.0.0.1:9/mcp",
        })
      ).status,
      201,
    );

    const reply = await ask("call:notes please");
    assert.match(reply, /buy oat milk/);
    const request = model.mainRequests().find((r) => lastUserText(r.body).includes("call:notes"))!;
    const offered = toolNames(request.body);
    assert.ok(offered.includes("mcp__notes__lookup"), offered.join(", "));
    assert.ok(!offered.includes("mcp__notes__hidden"), "a tool off the allow-list is not offered");
    assert.ok(!offered.some((name) => name.startsWith("mcp__down__")));
    // Told in one line, before the message it reads (a resumed session keeps its system prompt).
    assert.match(
      lastUserText(request.body),
      /The MCP server "down" is unavailable \(.+\); its tools are missing/,
    );
    assert.deepEqual(notes.calls, [{ tool: "lookup", args: { title: "shopping" } }]);

    const list = (await (await api(service, "/api/mcp-servers")).json()) as {
      servers: { name: string; calls: number; status: string; entry: { headers?: object } }[];
    };
    const shown = list.servers.find((s) => s.name === "notes")!;
    assert.equal(shown.calls, 1);
    assert.equal(shown.status, "connected");
    assert.deepEqual(shown.entry.headers, { Authorization: "Bearer ${NOTES_TOKEN}" });
    assert.equal(list.servers.find((s) => s.name === "down")!.status, "failing");
    const secrets = await (await api(service, "/api/mcp-secrets")).text();
    assert.doesNotMatch(secrets, new RegExp(TOKEN.slice(0, 10)));
    assert.doesNotMatch(service.output(), new RegExp(TOKEN));
  });

  it("runs a stdio server as a user that is neither the agent's nor root", async () => {
    await post("/api/mcp-secrets/CALC_KEY", { value: "calc-secret-value-0042" }, "PUT");
    const response = await post("/api/mcp-servers", {
      name: "calc",
      command: process.execPath,
      args: [STDIO_SCRIPT],
      env: { FAKE_SECRET: "${CALC_KEY}" },
    });
    assert.equal(response.status, 201, await response.clone().text());
    const reply = await ask("call:calc now");
    const me = JSON.parse(JSON.parse(/result: (.*)$/s.exec(reply)![1]!)[0].text) as {
      uid: number;
      home: string;
      hasSecret: boolean;
    };
    assert.equal(me.hasSecret, true);
    assert.equal(me.home, join(dataDir, "mcp", "main"));
    if (isRoot) {
      const agentUid = Number(/\d+/.exec(await ask("call:agent id"))![0]);
      assert.notEqual(me.uid, 0);
      assert.notEqual(me.uid, agentUid, "the agent cannot read the server's environment");
      assert.equal(statSync(me.home).uid, me.uid);
      assert.equal(statSync(me.home).mode & 0o777, 0o700);
    }
  });

  it("lets the main agent file a server that does nothing until the owner approves it in the chat", async () => {
    const connections = notes.requests;
    assert.match(await ask("call:file a wiki"), /Filed \\"wiki\\" for the owner's approval/);
    const listed = (await (await api(service, "/api/mcp-servers")).json()) as {
      servers: { name: string; pending: boolean; status: string }[];
    };
    assert.deepEqual(
      listed.servers.filter((s) => s.name === "wiki").map((s) => [s.pending, s.status]),
      [[true, "pending_approval"]],
    );
    const early = await post("/api/mcp-servers/wiki/test", {});
    assert.equal(early.status, 409, "a test would send the secrets before approval");
    await ask("anything new?");
    assert.ok(
      !toolNames(model.mainRequests().at(-1)!.body).some((n) => n.startsWith("mcp__wiki__")),
    );
    assert.equal(notes.requests, connections, "nothing connected for a pending server");

    // The owner answers in the main chat; the host, not the agent, acts on it.
    assert.match(await ask("/approve wiki"), /Approved the MCP server "wiki"/);
    await ask("and now?");
    assert.ok(toolNames(model.mainRequests().at(-1)!.body).includes("mcp__wiki__lookup"));
    assert.equal((await post("/api/mcp-servers/wiki/approve", {})).status, 409);
  });

  it("tests a server from the API and removes it", async () => {
    const test = await post("/api/mcp-servers/notes/test", {});
    assert.equal(test.status, 200);
    const { tools } = (await test.json()) as { tools: { name: string }[] };
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ["big", "hidden", "lookup"]);
    const down = await post("/api/mcp-servers/down/test", {});
    assert.equal(down.status, 502);
    assert.match(((await down.json()) as { error: string }).error, /could not connect/);
    assert.equal((await api(service, "/api/mcp-servers/down", { method: "DELETE" })).status, 200);
    assert.equal((await api(service, "/api/mcp-servers/down", { method: "DELETE" })).status, 404);
  });
});
