// Where everything lives under DATA_DIR; every path into it is spelled here and nowhere else.
//
//   DATA_DIR/admin-token          the generated admin token (host only, 0600)
//   DATA_DIR/store/pincer.db      the database (store/ is host only, 0700)
//   DATA_DIR/store/channels/<c>/  a channel's link data (e.g. WhatsApp's keys)
//   DATA_DIR/store/browser/       the browser's state
//   DATA_DIR/groups/<folder>/     a chat's folder, its agent's working directory
//   DATA_DIR/groups/global/       the memory every chat shares (host-owned)
//   DATA_DIR/agents/<folder>/     a chat's agent's home
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
