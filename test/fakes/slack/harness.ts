// Starts the Slack fake with a small workspace and the real Slack adapter against it.
import { createLogger } from "../../../src/log.ts";
import {
  SlackChannel,
  type SlackChannelOptions,
} from "../../../src/channels/slack/slack-channel.ts";
import { RecordingHost } from "./recording-host.ts";
import { startSlackFake, type SlackFake } from "./server.ts";

export const BOT_TOKEN = "xoxb-0000-fake-bot-token";
export const APP_TOKEN = "xapp-1-fake-app-token";
export const GENERAL = "C0GENERAL";
export const ALICE_DM = "D0ALICE";
export const ALICE = "U0ALICE";
export const BOB = "U0BOB";

export interface SlackHarness {
  fake: SlackFake;
  host: RecordingHost;
  channel: SlackChannel;
  close(): Promise<void>;
}

export async function startSlackHarness(
  overrides: Partial<SlackChannelOptions> = {},
): Promise<SlackHarness> {
  const fake = await startSlackFake({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
  fake.addUser({ id: ALICE, name: "alice", real_name: "Alice Liddell", display_name: "alice" });
  fake.addUser({ id: BOB, name: "bob", real_name: "Bob Builder" });
  fake.addChannel({ id: GENERAL, name: "general" });
  fake.addChannel({ id: ALICE_DM, name: "", is_im: true, user: ALICE });
  const channel = new SlackChannel({
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    apiUrl: fake.apiUrl,
    filesUrl: fake.filesUrl,
    assistantName: "Andy",
    logger: createLogger(process.env.PINCER_TEST_LOG_LEVEL ?? "silent"),
    ...overrides,
  });
  const host = new RecordingHost();
  await channel.start(host);
  return {
    fake,
    host,
    channel,
    async close() {
      await channel.stop();
      await fake.close();
    },
  };
}
