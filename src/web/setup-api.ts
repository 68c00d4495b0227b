// /api/setup: the checklist a new owner works through on a hosted platform without a
// terminal: the model credential (present, and proven by a real request), each channel's
// state, how to link WhatsApp and pair a main chat, time zone and name.
import { Hono } from "hono";
import QRCode from "qrcode";
import type { ChannelState } from "../channels/channel.ts";
import { CHANNEL_TABLE } from "../channels/registry.ts";
import type { Config } from "../config.ts";
import type { CoreView } from "../core/status-port.ts";
import type { Db } from "../store/db.ts";
import { listGroups } from "../store/groups.ts";
import type { ModelCheck, ModelChecker } from "./model-check.ts";
import type { IsolationStatus } from "../agent/isolation/agent-isolation.ts";

export interface SetupDeps {
  config: Config;
  db: Db;
  orchestrator: CoreView;
  checker: ModelChecker;
  isolation: IsolationStatus;
}

const CHANNEL_ORDER: readonly string[] = ["web", ...CHANNEL_TABLE.map((entry) => entry.name)];

export interface ChannelReport {
  name: string;
  status: ChannelState["status"];
  detail: string | null;
  since: number;
  /** WhatsApp is waiting for its QR code to be scanned (GET /api/setup/whatsapp-qr.svg). */
  qr: boolean;
  /** WhatsApp is waiting for this code to be entered on the phone. */
  pairingCode: string | null;
}

export interface SetupReport {
  assistantName: string;
  timeZone: string;
  credential: { present: boolean; problem: string | null; check: ModelCheck | null };
  channels: ChannelReport[];
  mainChat: {
    pairingCode: string;
    /** When the code stops working (ms since the epoch); a new one is shown after that. */
    pairingExpiresAt: number;
    chats: { channel: string; chatId: string; name: string; folder: string }[];
  };
  /** Whether agents run as their own Unix users, or only in their own folders. */
  isolation: IsolationStatus;
  warnings: string[];
}

/** A channel's state as the admin pages show it: the QR payload only as "there is one". */
export function channelReport(name: string, state: ChannelState): ChannelReport {
  return {
    name,
    status: state.status,
    detail: state.detail ?? null,
    since: state.since,
    qr: state.pairing?.method === "qr",
    pairingCode: state.pairing?.method === "code" ? state.pairing.code : null,
  };
}

function byChannelOrder(a: string, b: string): number {
  const rank = (name: string) => {
    const index = CHANNEL_ORDER.indexOf(name);
    return index === -1 ? CHANNEL_ORDER.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

export function setupReport(deps: SetupDeps): SetupReport {
  const { config, db, orchestrator, checker } = deps;
  const { status } = orchestrator;
  const pairing = status.pairing();
  const agentFailure = status.agentFailure();
  return {
    assistantName: config.ASSISTANT_NAME,
    timeZone: config.TZ,
    credential: {
      present: !config.credentialProblem,
      problem: config.credentialProblem ?? null,
      check: checker.last ?? null,
    },
    channels: status
      .channels()
      .sort(([a], [b]) => byChannelOrder(a, b))
      .map(([name, state]) => channelReport(name, state)),
    mainChat: {
      pairingCode: pairing.code,
      pairingExpiresAt: pairing.expiresAt,
      chats: listGroups(db)
        .filter((group) => group.isMain)
        .map((group) => ({
          channel: group.channel,
          chatId: group.chatId,
          name: group.name,
          folder: group.folder,
        })),
    },
    isolation: deps.isolation,
    warnings: [
      ...config.warnings,
      ...(agentFailure ? [`Agents failing: ${agentFailure}`] : []),
      ...(orchestrator.disk.warning ? [orchestrator.disk.warning] : []),
      ...(orchestrator.quota?.warnings() ?? []),
    ],
  };
}

export function setupRoutes(deps: SetupDeps) {
  return new Hono()
    .get("/api/setup", (c) => c.json(setupReport(deps)))
    .post("/api/setup/verify", async (c) => c.json(await deps.checker.verify()))
    .get("/api/setup/whatsapp-qr.svg", async (c) => {
      const pairing = deps.orchestrator.status.channel("whatsapp")?.pairing;
      const qr = pairing?.method === "qr" ? pairing.payload : undefined;
      if (qr === undefined)
        return c.json({ error: "WhatsApp is not waiting for a QR code scan" }, 404);
      const svg = await QRCode.toString(qr, {
        type: "svg",
        margin: 2,
        errorCorrectionLevel: "M",
      });
      c.header("Cache-Control", "no-store");
      return c.body(svg, 200, { "content-type": "image/svg+xml" });
    });
}
