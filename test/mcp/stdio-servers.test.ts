// A group's stdio MCP servers are counted; after the last stops its user is reaped, and a
// server starting meanwhile waits for that reaping to end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../src/log.ts";
import { StdioServers, type StdioRunner } from "../../src/mcp/stdio-servers.ts";
import { deferred } from "../helpers/wait.ts";

test("the user is reaped after its group's last server, and a new start waits for that", async () => {
  const reaped: string[] = [];
  const reaping = deferred();
  const runner: StdioRunner = {
    prepare: () => Promise.reject(new Error("not used")),
    stopped: async (folder) => {
      reaped.push(folder);
      await reaping.promise;
    },
  };
  const servers = new StdioServers(runner, createLogger("silent"));
  await servers.starting("crabs");
  await servers.starting("crabs");
  await servers.stopped("crabs");
  assert.deepEqual(reaped, []);
  const lastStopped = servers.stopped("crabs");
  assert.deepEqual(reaped, ["crabs"]);
  let started = false;
  const starting = servers.starting("crabs").then(() => (started = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(started, false);
  reaping.resolve();
  await Promise.all([lastStopped, starting]);
  assert.equal(started, true);
});

test("a failed reaping is logged, not thrown", async () => {
  const runner: StdioRunner = {
    prepare: () => Promise.reject(new Error("not used")),
    stopped: () => Promise.reject(new Error("no such user")),
  };
  const servers = new StdioServers(runner, createLogger("silent"));
  await servers.starting("crabs");
  await servers.stopped("crabs");
  await servers.starting("crabs");
});
