import { test } from "node:test";
import assert from "node:assert/strict";
import {
  adminTokenFile,
  agentHome,
  browserStateDir,
  channelAuthDir,
  DATABASE_PATH,
  databaseFile,
  dataPaths,
  globalMemoryDir,
  groupDir,
} from "../src/data-layout.ts";

// Existing data directories must keep working: these paths are a contract with every
// installation, so a change here has to come with a migration.
test("the data directory is laid out as installations have it", () => {
  const paths = dataPaths("/data");
  assert.deepEqual(paths, {
    dataDir: "/data",
    groupsDir: "/data/groups",
    agentsDir: "/data/agents",
    storeDir: "/data/store",
  });
  assert.equal(databaseFile(paths), "/data/store/pincer.db");
  assert.equal(DATABASE_PATH, "store/pincer.db");
  assert.equal(adminTokenFile("/data"), "/data/admin-token");
  assert.equal(channelAuthDir("/data", "whatsapp"), "/data/store/channels/whatsapp");
  assert.equal(browserStateDir(paths), "/data/store/browser");
  assert.equal(groupDir(paths, "main"), "/data/groups/main");
  assert.equal(agentHome(paths, "main"), "/data/agents/main");
  assert.equal(globalMemoryDir(paths), "/data/groups/global");
});
