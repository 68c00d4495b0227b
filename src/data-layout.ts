// Where everything lives under DATA_DIR; every path into it is spelled here and nowhere else.
//
//   DATA_DIR/admin-token          the generated admin token (host only, 0600)
//   DATA_DIR/store/pincer.db      the database (store/ is host only, 0700)
//   DATA_DIR/store/channels/<c>/  a channel's link data (e.g. WhatsApp's keys)
//   DATA_DIR/store/browser/       the browser's state
//   DATA_DIR/store/outbound-files/ the host's copies of files agents sent (send_file)
//   DATA_DIR/store/skills/        installed skills: skills.lock.json (the pins), installed/<name>/,
//                                 staging/ (git fetches and uploads being checked)
//   DATA_DIR/groups/<folder>/     a chat's folder, its agent's working directory
//   DATA_DIR/groups/global/       the memory every chat shares (host-owned)
//   DATA_DIR/agents/<folder>/     a chat's agent's home
//   DATA_DIR/mcp/<folder>/        the home of a chat's stdio MCP servers (their own user)
import { join } from "node:path";

export interface Paths {
  dataDir: string;
  groupsDir: string;
  agentsDir: string;
  storeDir: string;
}

const STORE_DIR = "store";
const DATABASE_FILE = "pincer.db";
/** The database's path relative to DATA_DIR (backups name it so inside the archive too). */
export const DATABASE_PATH = `${STORE_DIR}/${DATABASE_FILE}`;

export function dataPaths(dataDir: string): Paths {
  return {
    dataDir,
    groupsDir: join(dataDir, "groups"),
    agentsDir: join(dataDir, "agents"),
    storeDir: join(dataDir, STORE_DIR),
  };
}

export function databaseFile(paths: Paths): string {
  return join(paths.storeDir, DATABASE_FILE);
}

export function adminTokenFile(dataDir: string): string {
  return join(dataDir, "admin-token");
}

/** Settings made on the setup page, the API or the CLI (mode 0600; the environment wins). */
export function settingsFile(dataDir: string): string {
  return join(dataDir, "settings.json");
}

export function channelAuthDir(dataDir: string, channel: string): string {
  return join(dataDir, STORE_DIR, "channels", channel);
}

export function browserStateDir(paths: Paths): string {
  return join(paths.storeDir, "browser");
}

export function groupDir(paths: Paths, folder: string): string {
  return join(paths.groupsDir, folder);
}

export function agentHome(paths: Paths, folder: string): string {
  return join(paths.agentsDir, folder);
}

export function globalMemoryDir(paths: Paths): string {
  return join(paths.groupsDir, "global");
}

/** Skills the owner installed (host only: git runs on what is in here). */
export function skillsDir(paths: Paths): string {
  return join(paths.storeDir, "skills");
}

/** Which skills are installed, for whom, from where, pinned at which commit. */
export function skillsLockFile(paths: Paths): string {
  return join(skillsDir(paths), "skills.lock.json");
}

/** The checked files of installed skills, one folder each, copied into agents' homes. */
export function installedSkillsDir(paths: Paths): string {
  return join(skillsDir(paths), "installed");
}

/** Where fetches and uploads are checked before they are installed. */
export function skillsStagingDir(paths: Paths): string {
  return join(skillsDir(paths), "staging");
}

/** Where every group's stdio MCP servers have their homes (host-owned, 0711). */
export function mcpHomesDir(paths: Paths): string {
  return join(paths.dataDir, "mcp");
}

export function mcpHome(paths: Paths, folder: string): string {
  return join(mcpHomesDir(paths), folder);
}

/**
 * The host's copies of files agents sent, taken at the tool call (store/ is host only, so
 * no agent can swap one before it goes out); the outbox reads them from here.
 */
export function outboundFilesDir(paths: Paths): string {
  return join(paths.storeDir, "outbound-files");
}
