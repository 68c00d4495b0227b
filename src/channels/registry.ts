// Which chat platforms run: each one whose credentials are configured. The others are
// reported as not configured, with the variable that would turn them on. Adapters are
// imported only when configured: the platform libraries cost ~20-60 MB of RSS each.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { channelAuthDir } from "../data-layout.ts";
import type { Logger } from "../log.ts";
import type { Channel, ChannelName } from "./channel.ts";

export interface ChannelPlan {
  channels: Channel[];
  skipped: { name: ChannelName; detail: string }[];
}

export async function configuredChannels(config: Config, logger: Logger): Promise<ChannelPlan> {
  const common = {
    assistantName: config.ASSISTANT_NAME,
    maxAttachmentBytes: config.MAX_ATTACHMENT_BYTES,
  };
  const channels: Channel[] = [];
  const skipped: ChannelPlan["skipped"] = [];
  if (config.TELEGRAM_BOT_TOKEN) {
    const { TelegramChannel } = await import("./telegram/channel.ts");
    channels.push(
      new TelegramChannel({
        ...common,
        token: config.TELEGRAM_BOT_TOKEN,
        apiRoot: config.TELEGRAM_API_ROOT,
        logger: logger.child({ channel: "telegram" }),
      }),
    );
  } else skipped.push({ name: "telegram", detail: "set TELEGRAM_BOT_TOKEN to connect Telegram" });
  if (config.DISCORD_BOT_TOKEN) {
    const { DiscordChannel } = await import("./discord/channel.ts");
    channels.push(
      new DiscordChannel({
        ...common,
        token: config.DISCORD_BOT_TOKEN,
        apiUrl: config.DISCORD_API_URL,
        logger: logger.child({ channel: "discord" }),
      }),
    );
  } else skipped.push({ name: "discord", detail: "set DISCORD_BOT_TOKEN to connect Discord" });
  if (config.SLACK_BOT_TOKEN && config.SLACK_APP_TOKEN) {
    const { SlackChannel } = await import("./slack/slack-channel.ts");
    channels.push(
      new SlackChannel({
        ...common,
        botToken: config.SLACK_BOT_TOKEN,
        appToken: config.SLACK_APP_TOKEN,
        apiUrl: config.SLACK_API_URL,
        filesUrl: config.SLACK_FILES_URL,
        logger: logger.child({ channel: "slack" }),
      }),
    );
  } else
    skipped.push({
      name: "slack",
      detail: "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN to connect Slack",
    });
  const whatsappAuthDir = channelAuthDir(config.DATA_DIR, "whatsapp");
  // An existing link keeps WhatsApp on after WHATSAPP_PHONE is removed from the variables.
  if (
    config.WHATSAPP_PHONE ||
    config.WHATSAPP_ENABLED ||
    existsSync(join(whatsappAuthDir, "creds.json"))
  ) {
    const { WhatsAppChannel } = await import("./whatsapp/channel.ts");
    channels.push(
      new WhatsAppChannel({
        ...common,
        authDir: whatsappAuthDir,
        phone: config.WHATSAPP_PHONE,
        wsUrl: config.WHATSAPP_WS_URL,
        logger,
      }),
    );
  } else {
    skipped.push({
      name: "whatsapp",
      detail:
        "set WHATSAPP_PHONE (the assistant's number) to pair by code, or WHATSAPP_ENABLED=1 to pair by QR",
    });
  }
  return { channels, skipped };
}
