// Which chat platforms run: one descriptor per platform, read by the service (which ones to
// start) and by the setup page (their order, and what to set for one that is off). A
// platform runs when its credentials are configured; the others are reported as not
// configured, with the variables that would turn them on. Adapters are imported only when
// configured: the platform libraries cost ~20-60 MB of RSS each. Adding a platform means
// adding its descriptor here.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { channelAuthDir } from "../data-layout.ts";
import type { Logger } from "../log.ts";
import type { Channel } from "./channel.ts";

export interface ChannelDescriptor {
  readonly name: string;
  /** The variables that configure the platform (credentials first). */
  readonly variables: readonly (keyof Config)[];
  /** What the setup page shows while the platform is off: which variables turn it on. */
  readonly setupHint: string;
  enabled(config: Config): boolean;
  create(config: Config, logger: Logger): Promise<Channel>;
}

function common(config: Config) {
  return {
    assistantName: config.ASSISTANT_NAME,
    maxAttachmentBytes: config.MAX_ATTACHMENT_BYTES,
  };
}

function whatsappAuthDir(config: Config): string {
  return channelAuthDir(config.DATA_DIR, "whatsapp");
}

/** The platforms, in the order the setup page lists them (after the web chat). */
export const CHANNEL_TABLE = [
  {
    name: "telegram",
    variables: ["TELEGRAM_BOT_TOKEN", "TELEGRAM_API_ROOT"],
    setupHint: "paste a bot token from @BotFather on the setup page, or set TELEGRAM_BOT_TOKEN",
    enabled: (config: Config) => Boolean(config.TELEGRAM_BOT_TOKEN),
    async create(config: Config, logger: Logger) {
      const { TelegramChannel } = await import("./telegram/channel.ts");
      return new TelegramChannel({
        ...common(config),
        token: config.TELEGRAM_BOT_TOKEN!,
        apiRoot: config.TELEGRAM_API_ROOT,
        logger: logger.child({ channel: "telegram" }),
      });
    },
  },
  {
    name: "discord",
    variables: ["DISCORD_BOT_TOKEN", "DISCORD_API_URL"],
    setupHint:
      "paste a bot token from the Discord developer portal on the setup page, or set DISCORD_BOT_TOKEN",
    enabled: (config: Config) => Boolean(config.DISCORD_BOT_TOKEN),
    async create(config: Config, logger: Logger) {
      const { DiscordChannel } = await import("./discord/channel.ts");
      return new DiscordChannel({
        ...common(config),
        token: config.DISCORD_BOT_TOKEN!,
        apiUrl: config.DISCORD_API_URL,
        logger: logger.child({ channel: "discord" }),
      });
    },
  },
  {
    name: "slack",
    variables: ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "SLACK_FILES_URL"],
    setupHint:
      "paste the bot token (xoxb-…) and the app-level token (xapp-…) on the setup page, or set SLACK_BOT_TOKEN and SLACK_APP_TOKEN",
    enabled: (config: Config) => Boolean(config.SLACK_BOT_TOKEN && config.SLACK_APP_TOKEN),
    async create(config: Config, logger: Logger) {
      const { SlackChannel } = await import("./slack/slack-channel.ts");
      return new SlackChannel({
        ...common(config),
        botToken: config.SLACK_BOT_TOKEN!,
        appToken: config.SLACK_APP_TOKEN!,
        apiUrl: config.SLACK_API_URL,
        filesUrl: config.SLACK_FILES_URL,
        logger: logger.child({ channel: "slack" }),
      });
    },
  },
  {
    name: "whatsapp",
    variables: ["WHATSAPP_PHONE", "WHATSAPP_ENABLED", "WHATSAPP_WS_URL"],
    setupHint:
      "turn WhatsApp on on the setup page (or set WHATSAPP_ENABLED=1) to pair by QR; give the assistant's number (WHATSAPP_PHONE) to pair by code",
    // An existing link keeps WhatsApp on after WHATSAPP_PHONE is removed from the variables.
    enabled: (config: Config) =>
      Boolean(
        config.WHATSAPP_PHONE ||
        config.WHATSAPP_ENABLED ||
        existsSync(join(whatsappAuthDir(config), "creds.json")),
      ),
    async create(config: Config, logger: Logger) {
      const { WhatsAppChannel } = await import("./whatsapp/channel.ts");
      return new WhatsAppChannel({
        ...common(config),
        authDir: whatsappAuthDir(config),
        phone: config.WHATSAPP_PHONE,
        wsUrl: config.WHATSAPP_WS_URL,
        logger,
      });
    },
  },
  {
    name: "signal",
    variables: ["SIGNAL_CLI_URL", "SIGNAL_ACCOUNT"],
    setupHint:
      "run signal-cli's HTTP daemon as a second service (its command is under Signal on the setup page and in the README), then set SIGNAL_CLI_URL and SIGNAL_ACCOUNT",
    enabled: (config: Config) => Boolean(config.SIGNAL_CLI_URL && config.SIGNAL_ACCOUNT),
    async create(config: Config, logger: Logger) {
      const { SignalChannel } = await import("./signal/channel.ts");
      return new SignalChannel({
        url: config.SIGNAL_CLI_URL!,
        account: config.SIGNAL_ACCOUNT!,
        assistantName: config.ASSISTANT_NAME,
        logger,
      });
    },
  },
  {
    name: "matrix",
    variables: ["MATRIX_ACCESS_TOKEN", "MATRIX_HOMESERVER_URL", "MATRIX_ALLOWED_INVITERS"],
    setupHint:
      "set MATRIX_HOMESERVER_URL and MATRIX_ACCESS_TOKEN (the bot account's), and MATRIX_ALLOWED_INVITERS to who may invite it",
    enabled: (config: Config) =>
      Boolean(config.MATRIX_HOMESERVER_URL && config.MATRIX_ACCESS_TOKEN),
    async create(config: Config, logger: Logger) {
      const { MatrixChannel } = await import("./matrix/channel.ts");
      return new MatrixChannel({
        homeserverUrl: config.MATRIX_HOMESERVER_URL!,
        accessToken: config.MATRIX_ACCESS_TOKEN!,
        allowedInviters: config.MATRIX_ALLOWED_INVITERS,
        stateDir: channelAuthDir(config.DATA_DIR, "matrix"),
        assistantName: config.ASSISTANT_NAME,
        logger,
      });
    },
  },
  {
    name: "email",
    variables: [
      "EMAIL_PASSWORD",
      "EMAIL_USER",
      "EMAIL_IMAP_HOST",
      "EMAIL_IMAP_PORT",
      "EMAIL_SMTP_HOST",
      "EMAIL_SMTP_PORT",
      "EMAIL_ADDRESS",
      "EMAIL_FOLDER",
      "EMAIL_OWNER",
      "EMAIL_TRUST_UNSIGNED",
      "EMAIL_INSECURE",
    ],
    setupHint:
      "set EMAIL_IMAP_HOST, EMAIL_SMTP_HOST, EMAIL_USER and EMAIL_PASSWORD (for Gmail: imap.gmail.com, smtp.gmail.com and an app password) to connect email",
    enabled: (config: Config) =>
      Boolean(
        config.EMAIL_IMAP_HOST &&
        config.EMAIL_SMTP_HOST &&
        config.EMAIL_USER &&
        config.EMAIL_PASSWORD,
      ),
    async create(config: Config, logger: Logger) {
      const { EmailChannel } = await import("./email/channel.ts");
      const login = { user: config.EMAIL_USER!, password: config.EMAIL_PASSWORD! };
      return new EmailChannel({
        imap: { host: config.EMAIL_IMAP_HOST!, port: config.EMAIL_IMAP_PORT, ...login },
        smtp: { host: config.EMAIL_SMTP_HOST!, port: config.EMAIL_SMTP_PORT, ...login },
        address: config.EMAIL_ADDRESS ?? config.EMAIL_USER!,
        folder: config.EMAIL_FOLDER,
        policy: { owners: config.EMAIL_OWNER, trustUnauthenticated: config.EMAIL_TRUST_UNSIGNED },
        insecure: config.EMAIL_INSECURE,
        assistantName: config.ASSISTANT_NAME,
        logger,
      });
    },
  },
] as const;

/** The chat platforms Pincer can connect to. */
export type PlatformName = (typeof CHANNEL_TABLE)[number]["name"];
