// The settings an owner may make without touching the host's environment: the model
// credential, the channels' tokens, WhatsApp, the time zone, the assistant's name and the
// main chat. They are kept in DATA_DIR/settings.json (mode 0600, in the host-owned data
// directory: no agent can read it); a variable set in the environment wins over a saved
// one and cannot be changed here. A change is validated with the config schema, saved,
// written into the live Config and announced, so the service applies it without a restart.
import { EventEmitter } from "node:events";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import {
  ConfigError,
  credentialProblemOf,
  loadConfig,
  parseVariable,
  type Config,
  type ConfigName,
} from "../config.ts";
import { settingsFile } from "../data-layout.ts";
import { registerSecret } from "../log.ts";

interface SettingInfo {
  label: string;
  /** Shown masked, never logged. */
  secret: boolean;
}

export const SETTINGS = {
  ANTHROPIC_API_KEY: { label: "Anthropic API key", secret: true },
  ANTHROPIC_AUTH_TOKEN: { label: "Gateway token (instead of an API key)", secret: true },
  ANTHROPIC_BASE_URL: { label: "Model API URL (a gateway; empty: Anthropic)", secret: false },
  TELEGRAM_BOT_TOKEN: { label: "Telegram bot token", secret: true },
  DISCORD_BOT_TOKEN: { label: "Discord bot token", secret: true },
  SLACK_BOT_TOKEN: { label: "Slack bot token (xoxb-…)", secret: true },
  SLACK_APP_TOKEN: { label: "Slack app-level token (xapp-…)", secret: true },
  WHATSAPP_ENABLED: { label: "WhatsApp (link this number)", secret: false },
  WHATSAPP_PHONE: { label: "WhatsApp number (pair by code instead of QR)", secret: false },
  EMAIL_IMAP_HOST: { label: "IMAP server (imap.gmail.com)", secret: false },
  EMAIL_IMAP_PORT: { label: "IMAP port (993 TLS, 143 STARTTLS)", secret: false },
  EMAIL_SMTP_HOST: { label: "SMTP server (smtp.gmail.com)", secret: false },
  EMAIL_SMTP_PORT: { label: "SMTP port (465 TLS, 587 STARTTLS)", secret: false },
  EMAIL_USER: { label: "Mail login", secret: false },
  EMAIL_PASSWORD: { label: "Mail password (an app password for Gmail)", secret: true },
  EMAIL_ADDRESS: { label: "Send as (empty: the login)", secret: false },
  EMAIL_OWNER: { label: "Your own addresses (comma-separated)", secret: false },
  SIGNAL_CLI_URL: { label: "signal-cli daemon URL", secret: false },
  SIGNAL_ACCOUNT: { label: "Signal number (+15551234567)", secret: false },
  MATRIX_HOMESERVER_URL: { label: "Matrix homeserver URL", secret: false },
  MATRIX_ACCESS_TOKEN: { label: "Matrix bot access token", secret: true },
  MATRIX_ALLOWED_INVITERS: { label: "Who may invite the bot (@you:matrix.org, …)", secret: false },
  TZ: { label: "Time zone", secret: false },
  ASSISTANT_NAME: { label: "Assistant's name", secret: false },
  MAIN_CHAT: { label: "Main chat (<channel>:<chat id>)", secret: false },
  STREAMING: { label: "Show replies as they are written (on/off)", secret: false },
} as const satisfies Partial<Record<ConfigName, SettingInfo>>;

export type SettingName = keyof typeof SETTINGS;

/** The settings that change where model calls go, or with what credential. */
export const MODEL_SETTINGS: readonly SettingName[] = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_BASE_URL",
];

export function isSettingName(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}

export interface SettingView {
  name: SettingName;
  label: string;
  secret: boolean;
  /** Where the value in force comes from. */
  source: "environment" | "saved" | "default";
  /** The value in force; a secret's only as its last four characters. */
  value: string | null;
}

/** Why a setting was not changed, in words for the owner (an HTTP 4xx). */
export class SettingError extends Error {
  readonly status: 400 | 404 | 409;
  constructor(message: string, status: 400 | 404 | 409 = 400) {
    super(message);
    this.name = "SettingError";
    this.status = status;
  }
}

/** Saved settings from the file; an unreadable file is an error, a missing one is empty. */
export function readSettingsFile(file: string): Partial<Record<SettingName, string>> {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(
      `${file} is not valid JSON (${(error as Error).message}); fix or remove it`,
    );
  }
  const saved: Partial<Record<SettingName, string>> = {};
  if (parsed && typeof parsed === "object") {
    for (const [name, value] of Object.entries(parsed)) {
      if (isSettingName(name) && typeof value === "string") saved[name] = value;
    }
  }
  return saved;
}

/**
 * The configuration: the environment, with the settings saved on the setup page for what
 * the environment leaves unset (a variable that is set wins).
 */
export function loadWithSettings(environment: Record<string, string | undefined>): Config {
  const dataDir = loadConfig(environment).DATA_DIR;
  const saved = readSettingsFile(settingsFile(dataDir));
  const merged = { ...environment };
  for (const [name, value] of Object.entries(saved)) {
    if (!merged[name]?.trim()) merged[name] = value;
  }
  return loadConfig(merged);
}

export function maskSecret(value: string): string {
  return value.length >= 12 ? `••••${value.slice(-4)}` : "••••";
}

export interface SettingsOptions {
  file: string;
  /** The process environment as the service started with it (secrets included). */
  environment: Record<string, string | undefined>;
  /** The live configuration this writes changes into. */
  config: Config;
}

export class Settings extends EventEmitter<{ changed: [SettingName[]] }> {
  readonly #file: string;
  readonly #environment: Record<string, string | undefined>;
  readonly #config: Config;
  #saved: Partial<Record<SettingName, string>>;

  constructor(options: SettingsOptions) {
    super();
    this.#file = options.file;
    this.#environment = options.environment;
    this.#config = options.config;
    this.#saved = readSettingsFile(options.file);
    for (const [name, value] of Object.entries(this.#saved))
      if (SETTINGS[name as SettingName].secret) registerSecret(value);
  }

  fromEnvironment(name: SettingName): boolean {
    const value = this.#environment[name];
    return value !== undefined && value.trim() !== "";
  }

  list(): SettingView[] {
    return (Object.keys(SETTINGS) as SettingName[]).map((name) => this.view(name));
  }

  view(name: SettingName): SettingView {
    const { label, secret } = SETTINGS[name];
    const source = this.fromEnvironment(name)
      ? "environment"
      : this.#saved[name] !== undefined
        ? "saved"
        : "default";
    const current = this.#config[name];
    const shown =
      current === undefined || current === ""
        ? null
        : typeof current === "string"
          ? current
          : String(current);
    return {
      name,
      label,
      secret,
      source,
      value: shown !== null && secret ? maskSecret(shown) : shown,
    };
  }

  /** Checks a value without saving it; returns it as the config reads it. */
  validate<Name extends SettingName>(name: Name, value: string): Config[Name] {
    if (this.fromEnvironment(name))
      throw new SettingError(
        `${name} is set in the service's environment, which wins over the setup page: change it there`,
        409,
      );
    try {
      return parseVariable(name, value) as Config[Name];
    } catch (error) {
      if (error instanceof ConfigError) throw new SettingError(error.message);
      throw error;
    }
  }

  /** Saves a value (trimmed; empty unsets it) and applies it to the live config. */
  set(name: SettingName, value: string): SettingView {
    const trimmed = value.trim();
    const parsed = this.validate(name, trimmed);
    const next = { ...this.#saved };
    if (trimmed === "") delete next[name];
    else next[name] = trimmed;
    if (SETTINGS[name].secret && trimmed !== "") registerSecret(trimmed);
    this.#write(next);
    this.#saved = next;
    (this.#config as unknown as Record<string, unknown>)[name] = parsed;
    this.#config.credentialProblem = credentialProblemOf(this.#config);
    this.emit("changed", [name]);
    return this.view(name);
  }

  unset(name: SettingName): SettingView {
    return this.set(name, "");
  }

  #write(settings: Partial<Record<SettingName, string>>): void {
    // DATA_DIR belongs to the service alone (agents cannot write there), so a rename over
    // the old file is safe; the temporary name is new each time and made 0600 from the start.
    const temporary = `${this.#file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    renameSync(temporary, this.#file);
  }
}
