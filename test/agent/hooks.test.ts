import { test } from "node:test";
import assert from "node:assert/strict";
import type { HookInput } from "@anthropic-ai/claude-agent-sdk";
import { bashGuardHook, bashGuardProblem } from "../../src/agent/hooks.ts";

const PROTECTED = ["/data/store", "/run/pincer-secrets"];

test("reading another process's environment, memory or maps is denied", () => {
  for (const command of [
    "cat /proc/1/environ",
    "tr '\\0' '\\n' < /proc/1/environ",
    "cat /proc/$PPID/environ",
    "xxd /proc/42/mem",
    "cat /proc/1234/maps | head",
    "for f in /proc/*/environ; do cat $f; done",
    "grep -a KEY /proc/*/cmdline",
    "strings /proc/[0-9]*/environ",
  ]) {
    assert.match(bashGuardProblem(command, PROTECTED) ?? "", /environment or memory/, command);
  }
});

test("the agent's own /proc/self/environ and harmless /proc reads are allowed", () => {
  for (const command of [
    "cat /proc/self/environ",
    "cat /proc/cpuinfo",
    "cat /proc/meminfo",
    "ls /proc",
    "echo environ",
    "env | sort",
  ]) {
    assert.equal(bashGuardProblem(command, PROTECTED), undefined, command);
  }
});

test("a command that names a protected path is denied, naming the path", () => {
  assert.equal(
    bashGuardProblem("sqlite3 /data/store/pincer.db .dump", PROTECTED),
    "the host's private data (/data/store) is off limits",
  );
  assert.match(bashGuardProblem("ls /run/pincer-secrets", PROTECTED) ?? "", /pincer-secrets/);
  assert.equal(bashGuardProblem("ls /data/groups/family", PROTECTED), undefined);
  assert.equal(bashGuardProblem("ls /data/store", []), undefined);
});

function preToolUse(command: unknown): HookInput {
  return {
    hook_event_name: "PreToolUse",
    session_id: "s",
    transcript_path: "/tmp/t",
    cwd: "/tmp",
    tool_name: "Bash",
    tool_input: { command },
    tool_use_id: "tu_1",
  };
}

test("bashGuardHook denies a bad Bash call with the reason and lets others through", async () => {
  const matcher = bashGuardHook(PROTECTED);
  assert.equal(matcher.matcher, "Bash");
  const hook = matcher.hooks[0]!;
  const signal = new AbortController().signal;
  const denied = await hook(preToolUse("cat /proc/1/environ"), "tu_1", { signal });
  assert.deepEqual(denied, {
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason:
        "Blocked by Pincer: reading other processes' environment or memory is not allowed.",
    },
  });
  assert.deepEqual(await hook(preToolUse("ls -la"), "tu_2", { signal }), {});
  assert.deepEqual(await hook(preToolUse(undefined), "tu_3", { signal }), {});
});

// A bug found in review, pinned by a test that failed before its fix.
test("the Bash guard sees through path spellings and ps's environment flag", () => {
  for (const command of [
    "cat /proc/1/task/1/environ",
    "cat /proc/1//environ",
    "cat /proc/1/./environ",
    "cd /proc/1 && cat environ",
    "ps eww -p 1",
    "cat /data//store/pincer.db",
  ]) {
    assert.ok(bashGuardProblem(command, ["/data/store"]), command);
  }
  assert.equal(bashGuardProblem("ps -ef", ["/data/store"]), undefined);
});
