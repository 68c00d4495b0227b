// Which chat platforms run: each one whose credentials are configured. The others are
// reported as not configured, with the variable that would turn them on.
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Channel, ChannelName } from "./channel.ts";
import { TelegramChannel } from "./telegram/channel.ts";
import { DiscordChannel } from "./discord/channel.ts";
import { SlackChannel } from "./slack/slack-channel.ts";

export interface ChannelPlan {
  channels: Channel[];
  skipped: { name: ChannelName; detail: string }[];
}

export function configuredChannels(config: Config, logger: Logger): ChannelPlan {
  const common = {
    assistantName: config.ASSISTANT_NAME,
    maxAttachmentBytes: config.MAX_ATTACHMENT_BYTES,
  };
  const channels: Channel[] = [];
  const skipped: ChannelPlan["skipped"] = [];
  if (config.TELEGRAM_BOT_TOKEN) {
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
    channels.push(
      new SlackChannel({
        ...common,
        botToken: config.SLACK_BOT_TOKEN,
        appToken: config.SLACK_APP_TOKEN,
        apiUrl: config.SLACK_API_URL,
        logger: logger.child({ channel: "slack" }),
      }),
    );
  } else
    skipped.push({
      name: "slack",
      detail: "set SLACK_BOT_TOKEN and SLACK_APP_TOKEN to connect Slack",
    });
  return { channels, skipped };
}
