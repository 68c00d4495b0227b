// The setup checklist: everything a new owner must see working, and the maintenance
// actions (backup, new admin token).
import type { SettingName, SettingView } from "../../settings/settings.ts";
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

/** One setting as a small form of its own (PUT /api/settings/NAME), or why it cannot be set here. */
function settingForm(setting: SettingView): Html {
  const id = `setting-${setting.name}`;
  const shown = setting.value ?? "";
  if (setting.source === "environment")
    return html`<div class="setting" id="${id}">
      <span class="setting-label">${setting.label}</span>
      <span class="setting-value"
        ><code>${shown || "(empty)"}</code> <span class="hint">set by the environment</span></span
      >
    </div>`;
  const field =
    setting.name === "WHATSAPP_ENABLED"
      ? html`<select id="${id}-value" name="value">
          <option value="1" ${shown === "true" ? "selected" : ""}>on: link by QR code</option>
          <option value="" ${shown === "true" ? "" : "selected"}>off</option>
        </select>`
      : html`<input
          id="${id}-value"
          name="value"
          type="${setting.secret ? "password" : "text"}"
          autocomplete="off"
          spellcheck="false"
          placeholder="${setting.secret ? (shown ? `saved: ${shown}` : "paste it here") : ""}"
          value="${setting.secret ? "" : shown}"
        />`;
  return html`<form
    class="setting"
    id="${id}"
    data-api
    data-method="PUT"
    action="/api/settings/${setting.name}"
  >
    <label class="setting-label" for="${id}-value">${setting.label}</label>
    <span class="setting-value"
      >${field} <button type="submit">Save</button>${
        setting.source === "saved"
          ? html` <button
              type="button"
              class="secondary"
              data-api="/api/settings/${setting.name}"
              data-method="DELETE"
              data-confirm="Remove the saved ${setting.label}?"
            >
              Remove
            </button>`
          : ""
      }</span
    >
    <p class="form-error" role="alert"></p>
  </form>`;
}

const SETTING_GROUPS: { title: string; names: SettingName[]; hint: string }[] = [
  {
    title: "Model",
    names: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"],
    hint: "A key is tried with one minimal request before it is saved; the next turn uses it.",
  },
  {
    title: "Channels",
    names: [
      "TELEGRAM_BOT_TOKEN",
      "DISCORD_BOT_TOKEN",
      "SLACK_BOT_TOKEN",
      "SLACK_APP_TOKEN",
      "WHATSAPP_ENABLED",
      "WHATSAPP_PHONE",
    ],
    hint: "A channel connects, reconnects or disconnects as soon as its token is saved or removed.",
  },
  {
    title: "Email",
    names: [
      "EMAIL_IMAP_HOST",
      "EMAIL_IMAP_PORT",
      "EMAIL_SMTP_HOST",
      "EMAIL_SMTP_PORT",
      "EMAIL_USER",
      "EMAIL_PASSWORD",
      "EMAIL_ADDRESS",
      "EMAIL_OWNER",
    ],
    hint: "Email connects once both servers, the login and the password are saved. Gmail: turn on 2-step verification and create an app password (Google Account → Security → App passwords).",
  },
  {
    title: "Signal",
    names: ["SIGNAL_CLI_URL", "SIGNAL_ACCOUNT"],
    hint: "Signal runs through a signal-cli daemon you run as a second service: signal-cli -a +NUMBER daemon --http 0.0.0.0:8080 --receive-mode=on-connection. Register the number there first (signal-cli -a +NUMBER register, then verify CODE), or link it to your phone: signal-cli link -n Pincer prints a sgnl:// link; show it as a QR code and scan it in Signal → Settings → Linked devices.",
  },
  {
    title: "Matrix",
    names: ["MATRIX_HOMESERVER_URL", "MATRIX_ACCESS_TOKEN", "MATRIX_ALLOWED_INVITERS"],
    hint: "Use a separate bot account; its access token is in Element under Settings → Help & About. Encrypted rooms are not read yet.",
  },
  {
    title: "Assistant",
    names: ["ASSISTANT_NAME", "TZ", "MAIN_CHAT", "STREAMING"],
    hint: "A new name reconnects the channels (mentions change); running turns are never cut.",
  },
];

function settingsCard(settings: SettingView[]): Html {
  const byName = new Map(settings.map((setting) => [setting.name, setting]));
  return html`<section class="card" id="settings" aria-labelledby="settings-title">
    <h2 id="settings-title">Settings</h2>
    <p class="hint">
      Kept in DATA_DIR/settings.json, readable only by the service. A variable set in the
      environment wins and is shown as such.
    </p>
    ${SETTING_GROUPS.map(
      (group) =>
        html`<h3>${group.title}</h3>
          <p class="hint">${group.hint}</p>
          ${group.names.map((name) => {
            const setting = byName.get(name);
            return setting ? settingForm(setting) : "";
          })}`,
    )}
  </section>`;
}

/** First visit without a model credential: three steps instead of the whole checklist at once. */
function firstSteps(settings: SettingView[]): Html {
  const key = settings.find((setting) => setting.name === "ANTHROPIC_API_KEY");
  return html`<section class="card" id="first-steps" aria-labelledby="first-steps-title">
    <h2 id="first-steps-title">Get started in three steps</h2>
    <ol class="steps">
      <li id="step-key">
        <strong>Paste your Anthropic API key</strong>
        <p class="hint">
          Create one at console.anthropic.com → API keys. It is tried before it is saved.
        </p>
        ${key ? settingForm(key) : ""}
      </li>
      <li id="step-channel">
        <strong>Pick where to talk</strong>
        <p class="hint">
          The web chat works right away. To talk on Telegram, Discord, Slack, WhatsApp, email,
          Signal or Matrix, paste its token or login under <a href="#settings">Settings</a> below:
          it connects at once.
        </p>
      </li>
      <li id="step-hello">
        <strong>Say hello</strong>
        <p class="hint"><a class="button" href="/">Open the chat</a></p>
      </li>
    </ol>
  </section>`;
}

export function setupPage(
  context: PageContext,
  report: SetupReport,
  settings: SettingView[],
  options: { backup: boolean; tokenFromEnvironment: boolean },
): string {
  const check = checkText(report.credential.check);
  const body = html` <h1>Setup</h1>
    <p id="page-error" class="error" role="alert" tabindex="-1"></p>
    ${report.credential.present ? "" : firstSteps(settings)}
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
              <span class="hint">Change it under <a href="#settings">Settings</a>.</span>
            </p>
          </div>
        </li>
        <li id="check-name">
          <strong>Assistant name</strong>
          <div>
            <p>
              <code>${report.assistantName}</code>
              <span class="hint"
                >Change it under <a href="#settings">Settings</a>; the default trigger is
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
    ${settingsCard(settings)}
    <section class="card" aria-labelledby="maintenance-title">
      <h2 id="maintenance-title">Maintenance</h2>
      ${
        options.backup
          ? html`<p>
              <a class="button" id="backup" href="/api/backup" download>Download a backup</a>
              <span class="hint" id="backup-hint"
                >The database, every group's files, channel logins and secrets: the admin token and
                the saved settings (model key, channel tokens). Keep it as safe as they are.</span
              >
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
