// Agent limits are clamped to the service's own hard limits: prlimit runs as the agent's
// unprivileged uid, which cannot raise a hard limit, so asking for more fails every agent.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  clampLimits,
  ownHardLimits,
  parseHardLimits,
} from "../../../src/agent/isolation/limits.ts";

// /proc/self/limits of a container started with --ulimit nofile=1024:1024.
const CONTAINER = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max data size             unlimited            unlimited            bytes
Max stack size            8388608              unlimited            bytes
Max core file size        0                    unlimited            bytes
Max resident set          unlimited            unlimited            bytes
Max processes             200                  300                  processes
Max open files            1024                 1024                 files
Max locked memory         8388608              8388608              bytes
`;

const ASKED = { maxProcesses: 512, maxOpenFiles: 4096, maxFileBytes: 1024 * 1024 * 1024 };

describe("agent limits", () => {
  it("reads the hard column of /proc/<pid>/limits, unlimited as Infinity", () => {
    assert.deepEqual(parseHardLimits(CONTAINER), {
      processes: 300,
      openFiles: 1024,
      fileBytes: Infinity,
    });
    assert.deepEqual(parseHardLimits(""), {
      processes: Infinity,
      openFiles: Infinity,
      fileBytes: Infinity,
    });
  });

  it("lowers each limit above the hard one and says which setting asked for more", () => {
    const { limits, lowered } = clampLimits(ASKED, parseHardLimits(CONTAINER));
    assert.deepEqual(limits, {
      maxProcesses: 300,
      maxOpenFiles: 1024,
      maxFileBytes: ASKED.maxFileBytes,
    });
    assert.match(lowered ?? "", /300 processes \(AGENT_MAX_PROCESSES asks 512\)/);
    assert.match(lowered ?? "", /1024 open files \(AGENT_MAX_OPEN_FILES asks 4096\)/);
    assert.doesNotMatch(lowered ?? "", /AGENT_MAX_FILE_MB/);
  });

  it("lowers the file size limit, in MB as AGENT_MAX_FILE_MB counts", () => {
    const { limits, lowered } = clampLimits(ASKED, {
      processes: Infinity,
      openFiles: Infinity,
      fileBytes: 64 * 1024 * 1024,
    });
    assert.equal(limits.maxFileBytes, 64 * 1024 * 1024);
    assert.match(lowered ?? "", /64 MB per file \(AGENT_MAX_FILE_MB asks 1024 MB\)/);
  });

  it("keeps limits within the hard ones as they are, with nothing to say", () => {
    assert.deepEqual(
      clampLimits(ASKED, { processes: 512, openFiles: 1 << 20, fileBytes: Infinity }),
      { limits: ASKED, lowered: undefined },
    );
  });

  it("reads this process's own limits", () => {
    const hard = ownHardLimits();
    for (const value of Object.values(hard)) assert.ok(value > 0);
  });
});
