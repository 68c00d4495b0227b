// The setup checklist: everything a new owner must see working, and the maintenance
// actions (backup, new admin token).
import type { ModelCheck } from "../model-check.ts";
import type { ChannelReport, SetupReport } from "../setup-api.ts";
import { html, type Html } from "./html.ts";
import { formatTime, layout, type PageContext } from "./layout.ts";

const STATUS_TEXT: Record<ChannelReport["status"], [string, "ok" | "warn" | "bad"]> = {
  connected: ["connected", "ok"],
  connecting: ["connecting", "warn"],
  pairing: ["waiting for pairing", "warn"],
  reconnecting: ["reconnecting", "warn"],
  auth_failed: ["auth failed", "bad"],
  logged_out: ["logged out", "bad"],
  not_configured: ["not configured", "warn"],
  stopped: ["stopped", "bad"],
};

function badge(text: string, tone: "ok" | "warn" | "bad"): Html {
  return html`<span class="badge ${tone === "warn" ? "" : tone}">${text}</span>`;
}

export function checkText(check: ModelCheck | null): { text: string; tone: "ok" | "warn" | "bad" } {
  if (!check) return { text: "not verified yet", tone: "warn" };
  if (check.ok) return { text: `verified with ${check.model}`, tone: "ok" };
  return { text: `failed: ${check.error ?? "unknown error"}`, tone: "bad" };
}

function channelRow(channel: ChannelReport, timeZone: string): Html {
  const [text, tone] = STATUS_TEXT[channel.status];
  return html`<tr id="channel-${channel.name}" data-status="${channel.status}">
    <th scope="row">${channel.name}</th>
    <td class="status">${badge(text, tone)}</td>
    <td class="detail">
      <span class="wrap">${channel.detail ?? ""}</span>${
        channel.qr
          ? html`<div class="qr">
              <img
                src="/api/setup/whatsapp-qr.svg?at=${channel.since}"
                alt="WhatsApp link QR code"
              />
            </div>`
          : ""
      }
    </td>
    <td class="since">${formatTime(channel.since, timeZone)}</td>
  </tr>`;
}

export function setupPage(
  context: PageContext,
  report: SetupReport,
  options: { backup: boolean; tokenFromEnvironment: boolean },
): string {
  const check = checkText(report.credential.check);
  const body = html` <h1>Setup</h1>
    <p id="page-error" class="error" role="alert" tabindex="-1"></p>
    <section class="card" aria-labelledby="checklist-title">
      <h2 id="checklist-title">Checklist</h2>
      <ul class="checklist">
        <li id="check-credential">
          <strong>Model credential</strong>
          <div>
            ${
              report.credential.present
                ? html`<p>${badge("present", "ok")} An Anthropic credential is set.</p>`
                : html`<p>${badge("missing", "bad")} ${report.credential.problem}</p>`
            }
            ${
              // Without a credential there is nothing to verify: the line above says why.
              report.credential.present
                ? html`<p>
                      <span
                        id="verify-result"
                        role="status"
                        data-checked="${report.credential.check ? "yes" : "no"}"
                        >${badge(check.text, check.tone)}</span
                      >
                    </p>
                    <button type="button" id="verify" class="secondary">Verify now</button>
                    <span class="hint"
                      >Sends one minimal request (1 output token) through the credential
                      proxy.</span
                    >`
                : ""
            }
          </div>
        </li>
        <li id="check-channels">
          <strong>Channels</strong>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">State</th>
                  <th scope="col">Detail</th>
                  <th scope="col">Since</th>
                </tr>
              </thead>
              <tbody id="channel-rows">
                ${report.channels.map((channel) => channelRow(channel, report.timeZone))}
              </tbody>
            </table>
          </div>
        </li>
        <li id="check-main">
          <strong>Main chat</strong>
          <div>
            <p>
              The web chat is always a main chat. To make a messaging chat main too, send this to
              the bot in a direct message:
            </p>
            <p><code id="pairing-code">/pair ${report.mainChat.pairingCode}</code></p>
            <p class="hint">
              Works once, until
              <span id="pairing-expires"
                >${formatTime(report.mainChat.pairingExpiresAt, report.timeZone)}</span
              >; then a new code is shown here.
            </p>
            <p class="hint">
              Main chats now:
              ${report.mainChat.chats.map((chat, i) => html`${i ? ", " : ""}${chat.name} (${chat.channel})`)}
            </p>
          </div>
        </li>
        <li id="check-isolation">
          <strong>Agent isolation</strong>
          <div>
            <p>
              ${report.isolation.kind === "users" ? "One Unix user per chat" : "Directory-only"}
            </p>
            <p class="hint">${report.isolation.detail}</p>
          </div>
        </li>
        <li id="check-timezone">
          <strong>Time zone</strong>
          <div>
            <p>
              <code>${report.timeZone}</code>
              <span class="hint">Set the TZ variable to change it.</span>
            </p>
          </div>
        </li>
        <li id="check-name">
          <strong>Assistant name</strong>
          <div>
            <p>
              <code>${report.assistantName}</code>
              <span class="hint"
                >Set ASSISTANT_NAME to change it; the default trigger is
                @${report.assistantName}.</span
              >
            </p>
          </div>
        </li>
        ${
          report.warnings.length
            ? html`<li id="check-warnings">
                <strong>Warnings</strong>
                <ul>
                  ${report.warnings.map((w) => html`<li>${w}</li>`)}
                </ul>
              </li>`
            : ""
        }
      </ul>
    </section>
    <section class="card" aria-labelledby="maintenance-title">
      <h2 id="maintenance-title">Maintenance</h2>
      ${
        options.backup
          ? html`<p>
              <a class="button" id="backup" href="/api/backup" download>Download a backup</a>
              <span class="hint">The database and every group's files, as one archive.</span>
            </p>`
          : ""
      }
      <div>
        <button
          type="button"
          id="rotate"
          class="secondary"
          ${options.tokenFromEnvironment ? html` disabled aria-describedby="rotate-hint"` : ""}
        >
          Make a new admin token
        </button>
        <span id="rotate-hint" class="hint"
          >${
            options.tokenFromEnvironment
              ? "The token comes from the ADMIN_TOKEN variable: change it there."
              : "Every other browser and the CLI will need the new token."
          }</span
        >
        <p id="new-token" hidden>New admin token (shown once, keep it safe): <code></code></p>
      </div>
    </section>`;
  return layout({ title: "Setup", path: "/setup", context, body, scripts: ["setup.js"] });
}
