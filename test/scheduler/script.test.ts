import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPreScript, type PreScriptOptions } from "../../src/scheduler/script.ts";
import { waitFor } from "../helpers/wait.ts";

function options(
  t: { after(fn: () => void): void },
  extra: Partial<PreScriptOptions> = {},
): PreScriptOptions {
  const cwd = mkdtempSync(join(tmpdir(), "pincer-script-"));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  return { cwd, env: { PATH: "/usr/bin:/bin" }, timeoutMs: 30_000, ...extra };
}

test("wakeAgent false skips the run", async (t) => {
  const result = await runPreScript(`echo checking; echo '{"wakeAgent": false}'`, options(t));
  assert.deepEqual(result, { outcome: "skip" });
});

test("wakeAgent true wakes the agent with the data; the last non-empty line decides", async (t) => {
  const script = [
    `echo '{"wakeAgent": false}'`,
    `echo 'page changed'`,
    `printf '%s\\n\\n\\n' '{"wakeAgent": true, "data": {"diff": "+1 line"}}'`,
  ].join("\n");
  assert.deepEqual(await runPreScript(script, options(t)), {
    outcome: "wake",
    data: { diff: "+1 line" },
  });
});

test("the script runs in the given cwd with only the given environment", async (t) => {
  process.env.PINCER_HOST_SECRET = "must-not-leak";
  t.after(() => delete process.env.PINCER_HOST_SECRET);
  const opts = options(t, { env: { PATH: "/usr/bin:/bin", CHECK_URL: "http://127.0.0.1/x" } });
  const script = `printf '{"wakeAgent":true,"data":["%s","%s","%s"]}' "$PWD" "$CHECK_URL" "\${PINCER_HOST_SECRET:-}"`;
  assert.deepEqual(await runPreScript(script, opts), {
    outcome: "wake",
    data: [opts.cwd, "http://127.0.0.1/x", ""],
  });
});

test("a non-zero exit is an error that carries the exit code and stderr", async (t) => {
  const result = await runPreScript(`echo 'curl: could not connect' >&2; exit 7`, options(t));
  assert.deepEqual(result, {
    outcome: "error",
    reason: "exit",
    message: "Pre-script exited with code 7: curl: could not connect",
  });
});

test("output that is not the expected JSON is an invalid-output error", async (t) => {
  const cases: [string, RegExp][] = [
    [`echo 'all good'`, /the last line is not JSON: "all good"/],
    [`echo '{"wake": true}'`, /"wakeAgent" is missing or not a boolean/],
    [`echo '[true]'`, /not a JSON object/],
    [`true`, /it printed nothing/],
  ];
  for (const [script, message] of cases) {
    const result = await runPreScript(script, options(t));
    assert.equal(result.outcome, "error", script);
    assert.ok(result.outcome === "error" && result.reason === "invalid_output", script);
    assert.match(result.message, message);
    assert.match(result.message, /must be \{"wakeAgent": false\}/);
  }
});

test("a script that runs too long is killed with everything it started", async (t) => {
  const opts = options(t, { timeoutMs: 300 });
  const result = await runPreScript(`sleep 60 & echo $! > child.pid; wait`, opts);
  assert.deepEqual(result, {
    outcome: "error",
    reason: "timeout",
    message: "Pre-script timed out after 300 ms and was killed.",
  });
  const pid = Number(readFileSync(join(opts.cwd, "child.pid"), "utf8"));
  const gone = (): boolean => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  await waitFor(gone, `sleep ${pid}, which survived the timeout, to die`);
});

test("stdout is capped: a long log before the verdict is fine, an oversized verdict is not", async (t) => {
  const noisy = `head -c 300000 /dev/zero | tr '\\0' 'x'; echo; echo '{"wakeAgent": false}'`;
  assert.deepEqual(await runPreScript(noisy, options(t, { maxOutputBytes: 4096 })), {
    outcome: "skip",
  });
  const huge = `printf '{"wakeAgent": true, "data": "'; head -c 10000 /dev/zero | tr '\\0' 'x'; echo '"}'`;
  const result = await runPreScript(huge, options(t, { maxOutputBytes: 4096 }));
  assert.ok(result.outcome === "error" && result.reason === "invalid_output");
  assert.match(result.message, /stdout exceeded 4096 bytes and was cut/);
});

test("a script that cannot start is a spawn error", async (t) => {
  const opts = options(t);
  const result = await runPreScript(`echo '{"wakeAgent": false}'`, {
    ...opts,
    cwd: join(opts.cwd, "missing"),
  });
  assert.ok(result.outcome === "error" && result.reason === "spawn");
  assert.match(result.message, /^Pre-script could not be started: .*ENOENT/);
});

const root = process.getuid?.() === 0;

test("the script can run as another user", { skip: !root && "needs root" }, async (t) => {
  const opts = options(t, { uid: 65534, gid: 65534 });
  chmodSync(opts.cwd, 0o755);
  const result = await runPreScript(
    `echo "{\\"wakeAgent\\":true,\\"data\\":[$(id -u),$(id -g)]}"`,
    opts,
  );
  assert.deepEqual(result, { outcome: "wake", data: [65534, 65534] });
});
