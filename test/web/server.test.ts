// The HTTP server's public face: /readyz tells anyone only whether the service is ready and
// one status word per channel. While WhatsApp waits for its link QR to be scanned, whoever
// scans it first owns the link, so the QR payload must reach nobody but the owner: not
// /readyz, not a text field of the token-protected API, not the log.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import type { AgentIsolation } from "../../src/agent/isolation/agent-isolation.ts";
import type { CredentialProxy } from "../../src/agent/credential-proxy.ts";
import { dataPaths } from "../../src/data-layout.ts";
import { WebChannel } from "../../src/channels/web.ts";
import { settingsFile } from "../../src/data-layout.ts";
import { Settings } from "../../src/settings/settings.ts";
import { WhatsAppChannel } from "../../src/channels/whatsapp/channel.ts";
import { loadConfig } from "../../src/config.ts";
import type { Delivery } from "../../src/core/delivery.ts";
import { Orchestrator } from "../../src/core/orchestrator.ts";
import { createLogger, RecentLines } from "../../src/log.ts";
import { openDb, type Db } from "../../src/store/db.ts";
import { insertGroup } from "../../src/store/groups.ts";
import { AdminToken } from "../../src/web/admin-token.ts";
import type { McpHub } from "../../src/mcp/hub.ts";
import { createWebApp } from "../../src/web/server.ts";
import type { Skills } from "../../src/skills/skills.ts";
import { StubSocketFactory } from "../fakes/whatsapp/stub-socket.ts";
import { ManualTimers } from "../fakes/whatsapp/manual-timers.ts";

const TOKEN = "test-admin-token-0123456789";
const QR = "2@SecretLinkRef0123,NoiseKeyB64==,IdentityKeyB64==,AdvB64==";

describe("public health and the WhatsApp link QR", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pincer-server-"));
  const logLines: string[] = [];
  let db: Db;
  let whatsapp: WhatsAppChannel;
  let server: ServerType;
  let url = "";

  before(async () => {
    const config = loadConfig({ DATA_DIR: dataDir, ANTHROPIC_API_KEY: "sk-ant-test" });
    const paths = dataPaths(dataDir);
    db = openDb(join(dataDir, "pincer.db"));
    const logger = createLogger(
      "debug",
      { write: (line) => logLines.push(line) },
      new RecentLines(100),
    );
    const orchestrator = new Orchestrator({
      config,
      db,
      paths,
      proxy: {} as CredentialProxy,
      delivery: {} as Delivery,
      channels: new Map(),
      logger,
      bundledSkillsDir: dataDir,
      isolation: {} as AgentIsolation,
    });
    const factory = new StubSocketFactory();
    whatsapp = new WhatsAppChannel({
      authDir: join(dataDir, "whatsapp"),
      assistantName: "Andy",
      logger,
      socketFactory: factory.create,
      timers: new ManualTimers(),
    });
    await whatsapp.start(orchestrator.hostFor("whatsapp"));
    const socket = await factory.socket(1);
    socket.handshake();
    socket.ev.emit("connection.update", { qr: QR });
    assert.equal(orchestrator.status.channel("whatsapp")?.status, "pairing");

    const mainGroup = insertGroup(
      db,
      {
        channel: "web",
        chatId: "main",
        folder: "main",
        name: "Main",
        trigger: "@Andy",
        requiresTrigger: false,
        isMain: true,
      },
      0,
    );
    const app = createWebApp({
      config,
      db,
      paths,
      adminToken: new AdminToken(TOKEN, { dataDir, fromEnvironment: true }),
      mainGroup,
      web: new WebChannel(),
      orchestrator,
      settings: new Settings({ file: settingsFile(dataDir), environment: {}, config }),
      delivery: {} as Delivery,
      proxy: {
        url: "http://127.0.0.1:9",
        issueToken: () => "proxy-token",
        revokeToken: () => undefined,
      },
      scheduler: { changed: () => undefined },
      skills: {} as Skills,
      isolation: { kind: "directory", detail: "test" },
      mcp: {} as McpHub,
      retireGroup: async () => undefined,
      isReady: () => true,
    });
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await whatsapp.stop();
    await new Promise((resolve) => server.close(resolve));
    db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const withToken = { headers: { authorization: `Bearer ${TOKEN}` } };

  it("says on /readyz only ready or not and a status word per channel", async () => {
    const response = await fetch(`${url}/readyz`);
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.deepEqual(JSON.parse(body), {
      ready: true,
      credential: "ok",
      channels: { whatsapp: "pairing" },
    });
    assert.doesNotMatch(body, /SecretLinkRef/);
  });

  it("shows the owner the detail, and the QR only as an image", async () => {
    const status = (await (await fetch(`${url}/api/status`, withToken)).json()) as {
      channels: Record<string, { status: string; detail: string | null; qr: boolean }>;
    };
    assert.equal(status.channels.whatsapp?.status, "pairing");
    assert.match(status.channels.whatsapp?.detail ?? "", /Linked devices/);
    assert.equal(status.channels.whatsapp?.qr, true);

    const setup = await (await fetch(`${url}/api/setup`, withToken)).text();
    assert.match(setup, /Linked devices/);
    assert.doesNotMatch(JSON.stringify(status) + setup, /SecretLinkRef/);

    const image = await fetch(`${url}/api/setup/whatsapp-qr.svg`, withToken);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get("content-type"), "image/svg+xml");
    assert.match(await image.text(), /<svg/);
    assert.equal((await fetch(`${url}/api/setup/whatsapp-qr.svg`)).status, 401);
  });

  it("sends the same security headers on pages, the API and errors, and no others", async () => {
    for (const [path, init] of [
      ["/healthz", {}],
      ["/api/status", withToken],
      ["/api/no-such-thing", withToken],
      ["/login", {}],
    ] as const) {
      const response = await fetch(`${url}${path}`, init);
      await response.body?.cancel();
      assert.equal(
        response.headers.get("content-security-policy"),
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
          "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
          "form-action 'self'; frame-ancestors 'none'",
        path,
      );
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(response.headers.get("referrer-policy"), "same-origin", path);
      assert.equal(response.headers.get("x-frame-options"), "DENY", path);
      for (const absent of [
        "strict-transport-security",
        "cross-origin-opener-policy",
        "cross-origin-resource-policy",
        "origin-agent-cluster",
        "x-xss-protection",
      ])
        assert.equal(response.headers.get(absent), null, `${path}: ${absent}`);
    }
  });

  it("never logs the QR payload", () => {
    assert.ok(logLines.some((line) => line.includes('"status":"pairing"')));
    assert.doesNotMatch(logLines.join(""), /SecretLinkRef/);
  });
});
