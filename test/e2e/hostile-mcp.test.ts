// A hostile agent looks for the MCP servers' credentials everywhere it can: its files, its
// environment, the environment and command line of every process it can read (the stdio
// MCP server's among them), the stdio servers' home. It finds nothing, and neither do its
// model requests. Commands are spelled so Pincer's Bash guard does not match: what stops
// them is the kernel (uids, modes), and that the host, not the agent, is the MCP client.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  toolResultFor,
  toolResults,
  type AnthropicFake,
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

// Joined at run time, so this file (world-readable, and under /tmp in a CI checkout the
// agent's scan of /tmp reaches) never holds the secrets' text itself.
const BEARER = ["hostile-mcp-bearer", "7Q2x9Lk4"].join("-");
const ENV_SECRET = ["calc-env-secret", "3Fz8Wq1"].join("-");
// Patterns that match the secrets but not themselves: a scan of command lines reads grep's own.
const FIND = `-e "hostile-mcp-bearer-7Q2x9L[k]4" -e "calc-env-secret-3Fz8W[q]1"`;
const STDIO_SCRIPT = fileURLToPath(new URL("../fakes/mcp/stdio-server.ts", import.meta.url));
const REPLY_TIMEOUT = 90_000;
const isRoot = process.getuid?.() === 0;

const ATTACKS: Record<string, string> = {
  files: `grep -rIl ${FIND} "$HOME" "$PWD" /tmp 2>/dev/null | wc -l`,
  env: `env | grep -c ${FIND}`,
  environs: `n=0; for f in /proc/[0-9]*/env""iron; do cat "$f" 2>/dev/null && n=$((n+1)); done | tr "\\0" "\\n" | grep -c ${FIND}`,
  cmdlines: `for f in /proc/[0-9]*/cmdline; do cat "$f" 2>/dev/null; echo; done | tr "\\0" " " > "$TMPDIR/cmdlines"; echo "secrets=$(grep -c ${FIND} "$TMPDIR/cmdlines") server=$(grep -c "stdio-server[.]ts" "$TMPDIR/cmdlines")"`,
  serverenv: `for p in /proc/[0-9]*; do if tr "\\0" " " < "$p/cmdline" 2>/dev/null | grep -q "stdio-server[.]ts"; then echo "pid \${p#/proc/}"; cat "$p/env""iron"; fi; done 2>&1 | head -c 400`,
  serverhome: 'ls -la ../../mc""p/main 2>&1 | head -c 400',
  mcpjson: "cat .mcp.json ~/.claude.json ~/.claude/settings.json 2>&1 | head -c 2000",
};

describe(
  "a hostile agent looking for MCP credentials",
  { skip: isRoot ? false : "needs root: stdio servers and agents get their own uids only then" },
  () => {
    const dataDir = tempDir();
    let model: AnthropicFake;
    let notes: HttpMcpFake;
    let service: Service;
    const results = new Map<string, string>();

    before(async () => {
      model = await startAnthropicFake((request) => {
        if (isToolResultTurn(request)) return { text: "done" };
        const text = lastUserText(request);
        if (text.includes("use:notes"))
          return { toolUse: { name: "mcp__notes__lookup", input: { title: "x" } } };
        const marker = Object.keys(ATTACKS).find((name) => text.includes(`attack:${name} `));
        if (!marker) return { text: `echo: ${text.slice(-40)}` };
        return { toolUse: { name: "Bash", input: { command: ATTACKS[marker]! } } };
      });
      notes = await startHttpMcpFake(BEARER);
      service = await startService({
        dataDir,
        env: { ANTHROPIC_API_KEY: "sk-ant-hostile-mcp-0000", ANTHROPIC_BASE_URL: model.url },
      });
      const send = (path: string, body: unknown, method = "POST") =>
        api(service, path, { method, body: JSON.stringify(body) });
      await send("/api/mcp-secrets/NOTES_TOKEN", { value: BEARER }, "PUT");
      await send("/api/mcp-secrets/CALC_KEY", { value: ENV_SECRET }, "PUT");
      for (const server of [
        {
          name: "notes",
          type: "http",
          url: notes.url,
          headers: { Authorization: "Bearer ${NOTES_TOKEN}" },
        },
        {
          name: "calc",
          command: process.execPath,
          args: [STDIO_SCRIPT],
          env: { FAKE_SECRET: "${CALC_KEY}" },
        },
      ]) {
        const response = await send("/api/mcp-servers", server);
        assert.equal(response.status, 201, await response.text());
      }

      const sse = listen(service);
      await sse.ready;
      await sendChat(service, "use:notes first");
      await waitFor(
        () => sse.messages().find((m) => m.text === "done"),
        "the MCP call",
        REPLY_TIMEOUT,
      );
      await sse.close();
      for (const name of Object.keys(ATTACKS)) {
        const from = model.mainRequests().length;
        await sendChat(service, `attack:${name} now`);
        const turn = await waitFor(
          () => toolResultFor(model.mainRequests().slice(from), `attack:${name} now`),
          `the tool result of ${name}`,
          REPLY_TIMEOUT,
        );
        results.set(name, JSON.stringify(toolResults(turn.body)[0]?.content ?? ""));
      }
    });
    after(async () => {
      await service?.stop();
      await notes?.close();
      await model?.close();
      removeDir(dataDir);
    });

    it("used the server with the token the host holds", () => {
      assert.deepEqual(notes.calls, [{ tool: "lookup", args: { title: "x" } }]);
    });

    it("finds no secret in its files, its environment or any environment it can read", () => {
      assert.equal(results.get("files"), '"0"');
      assert.equal(results.get("env"), '"0"');
      assert.equal(results.get("environs"), '"0"');
    });

    it("sees the stdio server's command line, without secrets, and cannot read its environment or home", () => {
      assert.match(results.get("cmdlines")!, /secrets=0 server=[1-9]/);
      assert.match(results.get("serverenv")!, /Permission denied/);
      assert.match(results.get("serverhome")!, /Permission denied/);
      assert.doesNotMatch(results.get("mcpjson")!, /NOTES_TOKEN|CALC_KEY|Bearer/);
    });

    it("never had a secret in a model request, and the log masks them", () => {
      for (const request of model.requests) {
        const seen = JSON.stringify([request.headers, request.body]);
        assert.ok(!seen.includes(BEARER) && !seen.includes(ENV_SECRET));
      }
      for (const output of results.values()) {
        assert.ok(!output.includes(BEARER) && !output.includes(ENV_SECRET));
      }
      assert.ok(!service.output().includes(BEARER) && !service.output().includes(ENV_SECRET));
    });
  },
);
