// pincer mcp against a fake API: what add sends for each transport, secrets read from
// standard input (never argv), the list table and test output, and wrong command lines.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cli, json, startFakeApi, TOKEN, type FakeApi } from "./fake-api.ts";

const SERVER = {
  name: "notes",
  group: null,
  pending: false,
  entry: {
    type: "http",
    url: "https://notes.example/mcp",
    headers: { Authorization: "Bearer ${NOTES_TOKEN}" },
  },
  allowedTools: null,
  secrets: ["NOTES_TOKEN"],
  missingSecrets: [],
  calls: 7,
  failedCalls: 1,
  status: "connected",
  detail: null,
  tools: ["lookup", "search"],
};

describe("pincer mcp", () => {
  let api: FakeApi;
  const env = () => ({ PINCER_URL: api.url, PINCER_TOKEN: TOKEN });
  const lastBody = () => JSON.parse(api.requests.at(-1)!.body) as Record<string, unknown>;

  before(async () => {
    api = await startFakeApi();
    api.routes.set("GET /api/mcp-servers", (_req, res) => json(res, 200, { servers: [SERVER] }));
    api.routes.set("POST /api/mcp-servers", (_req, res, body) =>
      json(res, 201, { server: { ...SERVER, ...(JSON.parse(body) as object) } }),
    );
    api.routes.set("POST /api/mcp-servers/notes/test", (_req, res) =>
      json(res, 200, { ok: true, tools: [{ name: "lookup", description: "Looks a note up" }] }),
    );
    api.routes.set("PUT /api/mcp-secrets/NOTES_TOKEN", (_req, res) =>
      json(res, 200, { name: "NOTES_TOKEN", value: "••••1f" }),
    );
  });
  after(() => api.close());

  it("adds an HTTP server with headers, for one group, with an allow-list", async () => {
    const run = await cli(
      [
        "mcp",
        "add",
        "notes",
        "https://notes.example/mcp",
        "--header",
        "Authorization: Bearer ${NOTES_TOKEN}",
        "--group",
        "family",
        "--allow",
        "lookup, search",
      ],
      { env: env() },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lastBody(), {
      name: "notes",
      group: "family",
      allowedTools: ["lookup", "search"],
      type: "http",
      url: "https://notes.example/mcp",
      headers: { Authorization: "Bearer ${NOTES_TOKEN}" },
    });
    assert.match(run.stdout, /Added notes for family/);
  });

  it("adds a stdio server from what follows --, and an SSE one by --transport", async () => {
    let run = await cli(
      ["mcp", "add", "calc", "--env", "KEY=${CALC_KEY}", "--", "npx", "-y", "calc-mcp"],
      { env: env() },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lastBody(), {
      name: "calc",
      type: "stdio",
      command: "npx",
      args: ["-y", "calc-mcp"],
      env: { KEY: "${CALC_KEY}" },
    });
    run = await cli(["mcp", "add", "feed", "https://feed.example/sse", "--transport", "sse"], {
      env: env(),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(lastBody().type, "sse");
  });

  it("reads a secret's value from standard input, not from the command line", async () => {
    const run = await cli(["mcp", "secret", "set", "NOTES_TOKEN"], {
      env: env(),
      stdin: "tok-value-1f\n",
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lastBody(), { value: "tok-value-1f" });
    assert.match(run.stdout, /Set NOTES_TOKEN \(••••1f\)/);
    const empty = await cli(["mcp", "secret", "set", "NOTES_TOKEN"], { env: env(), stdin: "" });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no value for NOTES_TOKEN on standard input/);
  });

  it("lists servers with their state and calls, and tests one", async () => {
    const list = await cli(["mcp", "list"], { env: env() });
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /notes\s+\(every group\)\s+http\s+connected\s+7 \(1 failed\)\s+lookup, search/,
    );
    const test = await cli(["mcp", "test", "notes"], { env: env() });
    assert.match(test.stdout, /notes is reachable and offers:\n.*TOOL.*\nlookup\s+Looks a note up/);
  });

  it("explains a wrong command line", async () => {
    const run = await cli(["mcp", "add", "lonely"], { env: env() });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /give a name and a URL/);
    const bad = await cli(["mcp", "add", "x", "--header", "nocolon", "https://x.example/"], {
      env: env(),
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--header "nocolon" is not "name:value"/);
  });
});
