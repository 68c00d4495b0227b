import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  agentLimitsStatement,
  detectCgroupDelegation,
  type CgroupProbe,
} from "../../../src/agent/isolation/cgroup.ts";

const base = mkdtempSync(join(tmpdir(), "pincer-cgroup-"));
after(() => rmSync(base, { recursive: true, force: true }));
let count = 0;

/** A fake /sys/fs/cgroup, /proc/self/cgroup and /proc/self/mountinfo. */
function machine(options: {
  type?: string;
  self?: string;
  controllers?: string;
  writable?: boolean;
}): CgroupProbe {
  const dir = join(base, String(count++));
  const root = join(dir, "cgroup");
  mkdirSync(join(root, "system.slice", "pincer.service"), { recursive: true });
  if (options.controllers !== undefined)
    writeFileSync(
      join(root, "system.slice", "pincer.service", "cgroup.controllers"),
      options.controllers,
    );
  const mountInfo = join(dir, "mountinfo");
  writeFileSync(
    mountInfo,
    [
      "22 1 0:21 / /proc rw,nosuid - proc proc rw",
      ...(options.type
        ? [`31 23 0:28 / ${root} rw,relatime shared:9 - ${options.type} ${options.type} rw`]
        : []),
    ].join("\n"),
  );
  const selfCgroup = join(dir, "cgroup-self");
  writeFileSync(selfCgroup, options.self ?? "0::/system.slice/pincer.service\n");
  return {
    root,
    mountInfoFile: mountInfo,
    selfCgroupFile: selfCgroup,
    writable: () => options.writable ?? true,
  };
}

test("cgroup v1 (or a tmpfs of v1 hierarchies) is not delegation", () => {
  const result = detectCgroupDelegation(machine({ type: "tmpfs", controllers: "memory cpu" }));
  assert.equal(result.delegated, false);
  assert.match(
    agentLimitsStatement(result),
    /^No memory or CPU limit per agent: cgroup v2 is not delegated to the service \(.*cgroup is tmpfs, not cgroup2: the machine uses cgroup v1 or none\)\.$/,
  );
});

test("no cgroup file system at all is said so", () => {
  const result = detectCgroupDelegation(machine({}));
  assert.deepEqual(result.delegated, false);
  assert.match(agentLimitsStatement(result), /cgroup is not mounted/);
});

test("a service outside any v2 group is not delegated", () => {
  const result = detectCgroupDelegation(
    machine({ type: "cgroup2", self: "4:memory:/x\n", controllers: "memory cpu" }),
  );
  assert.match(agentLimitsStatement(result), /the service is not in a cgroup v2 group/);
});

test("missing controllers are named", () => {
  const result = detectCgroupDelegation(
    machine({ type: "cgroup2", controllers: "cpuset io pids" }),
  );
  assert.match(
    agentLimitsStatement(result),
    /the memory and cpu controllers are not available in .*pincer\.service/,
  );
  const noCpu = detectCgroupDelegation(machine({ type: "cgroup2", controllers: "memory pids" }));
  assert.match(agentLimitsStatement(noCpu), /the cpu controller is not available/);
});

test("a cgroup the service cannot write is not delegated", () => {
  const result = detectCgroupDelegation(
    machine({ type: "cgroup2", controllers: "cpuset cpu io memory pids", writable: false }),
  );
  assert.match(agentLimitsStatement(result), /cgroup .*pincer\.service is not writable by it/);
});

test("a writable v2 cgroup with memory and cpu is delegation, and the statement says what is missing", () => {
  const probe = machine({ type: "cgroup2", controllers: "cpuset cpu io memory pids" });
  const result = detectCgroupDelegation(probe);
  assert.deepEqual(result, {
    delegated: true,
    dir: join(probe.root!, "system.slice", "pincer.service"),
  });
  assert.match(
    agentLimitsStatement(result),
    /^No memory or CPU limit per agent: cgroup v2 is delegated to the service \(.*\), but Pincer does not place agents in cgroups yet\.$/,
  );
});

test("on this machine the answer is a plain statement", () => {
  assert.match(
    agentLimitsStatement(detectCgroupDelegation()),
    /^No memory or CPU limit per agent: /,
  );
});
