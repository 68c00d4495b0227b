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
] as const;

/** The chat platforms Pincer can connect to. */
export type PlatformName = (typeof CHANNEL_TABLE)[number]["name"];
