// Per-group users as the configuration asks for them: the agents' limits (never above the
// service's own hard limits, which it cannot raise), and, when isolation is on, the files
// only the service may own taken back from any other user before an agent runs.
import { basename } from "node:path";
import type { Config } from "../../config.ts";
import { adminTokenFile, globalMemoryDir, settingsFile, type Paths } from "../../data-layout.ts";
import type { Logger } from "../../log.ts";
import type { Db } from "../../store/db.ts";
import { AgentIsolation } from "./agent-isolation.ts";
import { clampLimits, ownHardLimits } from "./limits.ts";
import { reclaimHostFiles } from "./ownership.ts";

export async function setUpIsolation(deps: {
  config: Config;
  db: Db;
  paths: Paths;
  logger: Logger;
}): Promise<AgentIsolation> {
  const { config, paths, logger } = deps;
  const limits = clampLimits(
    {
      maxProcesses: config.AGENT_MAX_PROCESSES,
      maxOpenFiles: config.AGENT_MAX_OPEN_FILES,
      maxFileBytes: config.AGENT_MAX_FILE_MB * 1024 * 1024,
    },
    ownHardLimits(),
  );
  const isolation = new AgentIsolation({
    db: deps.db,
    paths,
    setting: config.AGENT_ISOLATION,
    uidBase: config.AGENT_UID_BASE,
    limits: limits.limits,
    logger,
  });
  if (!isolation.enabled) return isolation;
  if (limits.lowered) logger.warn(limits.lowered);
  const wrong = await reclaimHostFiles(
    paths,
    [{ tree: globalMemoryDir(paths), mode: 0o755 }],
    [basename(adminTokenFile(config.DATA_DIR)), basename(settingsFile(config.DATA_DIR))],
  );
  if (wrong.length > 0)
    logger.error(
      { files: wrong.slice(0, 20), count: wrong.length },
      "files only the service may own belonged to another user and were taken back: an agent may have had access to them; rotate the admin token and channel tokens",
    );
  return isolation;
}
