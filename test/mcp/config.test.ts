import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  entryProblem,
  findCommand,
  maskSecret,
  mcpEntry,
  MissingSecretError,
  newServer,
  referencedSecrets,
  resolveEntry,
  serverNameProblem,
} from "../../src/mcp/config.ts";

const PATH = process.env.PATH ?? "/usr/bin:/bin";

function problemsOf(value: unknown): string {
  const parsed = newServer.safeParse(value);
  assert.equal(parsed.success, false, "expected a refusal");
  return parsed.error!.issues.map((issue) => issue.message).join("; ");
}

describe("MCP server entries", () => {
  it("reads the three .mcp.json shapes, stdio also without a type", () => {
    assert.equal(mcpEntry.parse({ type: "http", url: "https://x.example/mcp" }).type, "http");
    assert.equal(mcpEntry.parse({ type: "sse", url: "http://127.0.0.1:1/sse" }).type, "sse");
    const stdio = mcpEntry.parse({ command: "node", args: ["server.js"], env: { A: "b" } });
    assert.deepEqual(stdio, {
      type: "stdio",
      command: "node",
      args: ["server.js"],
      env: { A: "b" },
    });
  });

  it("refuses a URL that is not http(s), saying which scheme it is", () => {
    assert.match(
      problemsOf({ name: "x", type: "http", url: "ftp://x.example/" }),
      /not an http\(s\) URL \(it is ftp\)/,
    );
    assert.match(problemsOf({ name: "x", type: "sse", url: "no url" }), /is not a URL/);
  });

  it("refuses names with '/' or '__', Pincer's own name, and odd characters", () => {
    assert.match(serverNameProblem("a/b")!, /contains "\/"/);
    assert.match(serverNameProblem("a__b")!, /contains "__"/);
    assert.match(serverNameProblem("pincer")!, /Pincer's own/);
    assert.match(serverNameProblem("Notes!")!, /not a server name/);
    assert.equal(serverNameProblem("notes_2-x"), undefined);
    assert.match(problemsOf({ name: "a__b", type: "http", url: "https://x.example/" }), /__/);
  });

  it("refuses an unknown type and unknown fields by name", () => {
    assert.match(
      problemsOf({ name: "x", type: "ws", url: "https://x.example/" }),
      /"stdio", "http" or "sse"/,
    );
    const parsed = newServer.safeParse({
      name: "x",
      type: "http",
      url: "https://x.example/",
      cookie: "1",
    });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error!.issues), /cookie/);
  });

  it("refuses a stdio command that does not exist, and secrets on a command line", () => {
    const missing = mcpEntry.parse({ command: "no-such-command-pincer" });
    assert.match(entryProblem(missing, PATH)!, /"no-such-command-pincer" does not exist/);
    const inArgs = mcpEntry.parse({ command: "node", args: ["--token=${TOKEN}"] });
    assert.match(entryProblem(inArgs, PATH)!, /cannot hold secrets/);
    assert.equal(
      entryProblem(mcpEntry.parse({ command: "node", env: { T: "${TOKEN}" } }), PATH),
      undefined,
    );
    const badName = mcpEntry.parse({
      type: "http",
      url: "https://x.example/",
      headers: { a: "${lower}" },
    });
    assert.match(entryProblem(badName, PATH)!, /not a secret name/);
  });

  it("finds commands on PATH or by absolute path only", () => {
    assert.ok(findCommand("sh", PATH));
    assert.equal(findCommand("/bin/sh", ""), "/bin/sh");
    assert.equal(findCommand("./sh", PATH), undefined);
  });

  it("fills ${NAME} from the host's secrets and names a missing one", () => {
    const entry = mcpEntry.parse({
      type: "http",
      url: "https://x.example/mcp?k=${KEY}",
      headers: { Authorization: "Bearer ${TOKEN}" },
    });
    assert.deepEqual(referencedSecrets(entry), ["KEY", "TOKEN"]);
    const secrets = new Map([
      ["KEY", "k1"],
      ["TOKEN", "t-123"],
    ]);
    assert.deepEqual(resolveEntry(entry, secrets), {
      type: "http",
      url: "https://x.example/mcp?k=k1",
      headers: { Authorization: "Bearer t-123" },
    });
    assert.throws(
      () => resolveEntry(entry, new Map([["KEY", "k"]])),
      (error: Error) => {
        assert.ok(error instanceof MissingSecretError);
        assert.match(error.message, /the secret TOKEN is not set/);
        return true;
      },
    );
  });

  it("masks a secret down to its last two characters at most", () => {
    assert.equal(maskSecret("short"), "••••");
    assert.equal(maskSecret("a-long-secret-value-42"), "••••42");
  });
});
