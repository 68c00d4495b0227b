// How the host runs a group's stdio MCP servers: as a Unix user of their own per group (not
// the agent's: a process may read the environment of every process of its own uid, and the
// environment is where a server's secrets are), with a home under DATA_DIR/mcp/, the
// agents' resource limits, and nothing of that user left running once they stop.
import { chmod, mkdir } from "node:fs/promises";
import type { AgentIsolation } from "../agent/isolation/agent-isolation.ts";
import { SETPRIV, setprivArgs } from "../agent/isolation/as-agent.ts";
import { stopAllOf } from "../agent/isolation/reaper.ts";
import { mcpHome, mcpHomesDir, type Paths } from "../data-layout.ts";
import type { Db } from "../store/db.ts";
import { getGroupByFolder } from "../store/groups.ts";
import { findCommand } from "./config.ts";
import type { StdioRunner } from "./stdio-servers.ts";

const SEARCH_PATH = process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";

export function stdioRunner(deps: {
  db: Db;
  paths: Paths;
  isolation: AgentIsolation;
}): StdioRunner {
  const { db, paths, isolation } = deps;
  const identityOf = (folder: string) => {
    const group = getGroupByFolder(db, folder);
    if (!group) throw new Error(`no registered group has the folder "${folder}"`);
    return isolation.mcpIdentityFor(group);
  };
  return {
    async prepare(folder, entry) {
      const identity = identityOf(folder);
      // Only the host writes the folder of homes; each home is its user's alone.
      await mkdir(mcpHomesDir(paths), { recursive: true, mode: 0o711 });
      await chmod(mcpHomesDir(paths), 0o711);
      const home = mcpHome(paths, folder);
      await isolation.ensureOwnDir(home, identity);
      const command = findCommand(entry.command, SEARCH_PATH);
      if (!command) throw new Error(`the command "${entry.command}" does not exist`);
      const line = identity
        ? [SETPRIV, ...setprivArgs(identity), command, ...(entry.args ?? [])]
        : [command, ...(entry.args ?? [])];
      const limited = isolation.command(line[0]!, line.slice(1));
      return {
        command: limited.command,
        args: limited.args,
        cwd: home,
        env: { PATH: SEARCH_PATH, HOME: home, TMPDIR: home, ...entry.env },
      };
    },
    async stopped(folder) {
      const identity = identityOf(folder);
      if (identity) await stopAllOf(identity);
    },
  };
}
