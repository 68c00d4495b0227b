// A loopback fake of Discord (REST v10 + gateway) for testing through the real discord.js.
// Give discord.js `rest: { api: fake.apiUrl }`: it finds the gateway through GET /gateway/bot.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGateway, Intents } from "./gateway.ts";
import type { GatewayConnectionRecord } from "./gateway.ts";
import { deletePayload, FakeRest, messageIntent, pathMatches } from "./rest.ts";
import type { FailureSpec, PathPattern, RecordedCall } from "./rest.ts";
import { DiscordState } from "./state.ts";
import type {
  FakeChannel,
  FakeGuild,
  FakeInteraction,
  FakeMessage,
  FakeUser,
  UserInput,
} from "./state.ts";

export type {
  FailureSpec,
  FakeChannel,
  FakeGuild,
  FakeMessage,
  FakeUser,
  GatewayConnectionRecord,
  PathPattern,
  RecordedCall,
  UserInput,
};

export interface DiscordFakeOptions {
  token?: string;
  botUser?: UserInput;
  heartbeatIntervalMs?: number;
  /** False makes IDENTIFY with MESSAGE_CONTENT fail with 4014, as when the portal toggle is off. */
  privilegedIntentsEnabled?: boolean;
}

export interface InjectedAttachment {
  filename: string;
  contentType?: string;
  data: Uint8Array | string;
  /** Overrides the announced size, to test size caps without big buffers. */
  size?: number;
  /** A voice message's recording carries its length and a waveform. */
  durationSecs?: number;
}

export interface InjectMessageInput {
  channelId: string;
  guildId?: string;
  author: UserInput;
  content: string;
  /** User ids mentioned besides those written as <@id> in the content. */
  mentions?: string[];
  message_reference?: { message_id: string };
  /** A reply pings its author unless the sender turned the ping off (false). */
  replyPing?: boolean;
  attachments?: InjectedAttachment[];
  /** Sets the IS_VOICE_MESSAGE flag, as the Discord apps do for a recorded voice message. */
  voiceMessage?: boolean;
}

export interface DiscordFake {
  /** The REST root for discord.js's `rest.api`: http://127.0.0.1:port/api */
  readonly apiUrl: string;
  readonly token: string;
  readonly botUser: FakeUser;
  readonly calls: readonly RecordedCall[];
  readonly identifyCount: number;
  readonly resumeCount: number;
  readonly heartbeatCount: number;
  readonly gatewayConnections: readonly GatewayConnectionRecord[];
  addGuild(input: {
    id: string;
    name: string;
    channels: { id: string; name: string; type?: number }[];
  }): FakeGuild;
  addDmChannel(input: { id: string; recipient: UserInput }): FakeChannel;
  injectMessage(input: InjectMessageInput): FakeMessage;
  injectEdit(input: { channelId: string; messageId: string; content: string }): FakeMessage;
  injectDelete(input: { channelId: string; messageId: string }): void;
  /**
   * A user taps a button of a bot message: INTERACTION_CREATE (a message component
   * interaction) to every session. Returns the interaction, whose `response` the bot sets.
   */
  injectButtonTap(input: {
    channelId: string;
    messageId: string;
    user: UserInput;
    customId: string;
  }): FakeInteraction;
  /** Messages in a channel, oldest first, as Discord stores them. */
  messagesIn(channelId: string): FakeMessage[];
  /** Emoji the bot currently has on a message. */
  botReactions(messageId: string): string[];
  /** The first matching call not returned by an earlier waitForCall, waiting for it if need be. */
  waitForCall(method: string, path: PathPattern, timeoutMs?: number): Promise<RecordedCall>;
  /** Resolves once `predicate` holds, re-checked after every REST call and gateway frame. */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  failNext(method: string, path: PathPattern, spec: FailureSpec): void;
  /** Kills every gateway socket abnormally (no close frame) so clients resume; returns how many. */
  dropConnections(): number;
  /** Resets the token: REST answers 401 and gateway sessions close with 4004. */
  revokeToken(): void;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MESSAGE_FLAG_IS_VOICE_MESSAGE = 1 << 13;

export async function startDiscordFake(options: DiscordFakeOptions = {}): Promise<DiscordFake> {
  const token = options.token ?? "fake-discord-token";
  let revoked = false;
  const isValidToken = (candidate: string): boolean => !revoked && candidate === token;
  const state = new DiscordState(
    options.botUser ?? { id: "100000000000000001", username: "pincer-bot" },
  );
  const server = createServer();
  const gateway = new FakeGateway(server, {
    state,
    isValidToken,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    privilegedIntentsEnabled: options.privilegedIntentsEnabled ?? true,
  });
  const rest = new FakeRest(state, gateway, isValidToken);
  server.on("request", (request, response) => {
    rest.handle(request, response).catch((cause: unknown) => {
      response.writeHead(500).end(String(cause));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  state.baseUrl = `http://127.0.0.1:${port}`;

  const returned = new Set<RecordedCall>();

  function waitFor(
    predicate: () => boolean,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    what = "condition",
  ): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        done();
        resolve();
      };
      const offRest = rest.onCall(check);
      const offGateway = gateway.onChange(check);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`discord fake: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        offRest();
        offGateway();
      }
    });
  }

  function channelFor(channelId: string, guildId?: string): FakeChannel {
    const channel = state.channel(channelId);
    if (!channel)
      throw new Error(
        `discord fake: unknown channel ${channelId}; add it with addGuild/addDmChannel`,
      );
    if (guildId !== undefined && channel.guild_id !== guildId) {
      throw new Error(`discord fake: channel ${channelId} is not in guild ${guildId}`);
    }
    return channel;
  }

  function storedMessage(channelId: string, messageId: string): FakeMessage {
    const message = state.messages.get(messageId);
    if (!message || message.channel_id !== channelId) {
      throw new Error(`discord fake: no message ${messageId} in channel ${channelId}`);
    }
    return message;
  }

  return {
    apiUrl: `${state.baseUrl}/api`,
    token,
    botUser: state.botUser,
    calls: rest.calls,
    get identifyCount() {
      return gateway.identifyCount;
    },
    get resumeCount() {
      return gateway.resumeCount;
    },
    get heartbeatCount() {
      return gateway.heartbeatCount;
    },
    gatewayConnections: gateway.connections,
    addGuild(input) {
      const guild = state.addGuild(input);
      gateway.dispatch("GUILD_CREATE", state.guildCreatePayload(guild), Intents.Guilds);
      return guild;
    },
    addDmChannel: (input) => state.addDmChannel(input),
    injectMessage(input) {
      const channel = channelFor(input.channelId, input.guildId);
      const attachments = (input.attachments ?? []).map((attachment) => {
        const bytes =
          typeof attachment.data === "string"
            ? new TextEncoder().encode(attachment.data)
            : attachment.data;
        const stored = state.storeFile(attachment.filename, bytes, attachment.contentType);
        return {
          ...stored,
          ...(attachment.size !== undefined ? { size: attachment.size } : {}),
          ...(attachment.durationSecs !== undefined
            ? { duration_secs: attachment.durationSecs, waveform: "AAAA" }
            : {}),
        };
      });
      const message = state.createMessage({
        channel,
        author: state.user(input.author),
        content: input.content,
        ...(input.mentions ? { mentions: input.mentions } : {}),
        ...(input.message_reference ? { replyTo: input.message_reference.message_id } : {}),
        ...(input.replyPing === false ? { replyPing: false } : {}),
        attachments,
        ...(input.voiceMessage ? { flags: MESSAGE_FLAG_IS_VOICE_MESSAGE } : {}),
      });
      gateway.dispatchMessage("MESSAGE_CREATE", message);
      return message;
    },
    injectEdit({ channelId, messageId, content }) {
      const message = storedMessage(channelId, messageId);
      message.content = content;
      message.edited_timestamp = new Date().toISOString();
      gateway.dispatchMessage("MESSAGE_UPDATE", message);
      return message;
    },
    injectButtonTap({ channelId, messageId, user, customId }) {
      const message = storedMessage(channelId, messageId);
      const channel = state.channel(channelId)!;
      const tapper = state.user(user);
      const interaction: FakeInteraction = {
        id: state.snowflake(),
        token: `interaction-token-${state.interactions.length + 1}`,
        response: null,
      };
      state.interactions.push(interaction);
      const payload = {
        id: interaction.id,
        application_id: state.botUser.id,
        type: 3, // MESSAGE_COMPONENT
        data: { custom_id: customId, component_type: 2 },
        channel_id: channel.id,
        channel,
        ...(channel.guild_id
          ? {
              guild_id: channel.guild_id,
              member: {
                user: tapper,
                roles: [],
                joined_at: new Date(0).toISOString(),
                nick: null,
                deaf: false,
                mute: false,
                flags: 0,
                permissions: "0",
              },
            }
          : { user: tapper }),
        token: interaction.token,
        version: 1,
        message,
        app_permissions: "0",
        locale: "en-US",
        entitlements: [],
        authorizing_integration_owners: {},
        context: channel.guild_id ? 0 : 1,
      };
      // Interactions reach a session whatever its intents.
      gateway.dispatch("INTERACTION_CREATE", payload, -1);
      return interaction;
    },
    injectDelete({ channelId, messageId }) {
      const message = storedMessage(channelId, messageId);
      state.messages.delete(messageId);
      gateway.dispatch("MESSAGE_DELETE", deletePayload(message), messageIntent(message));
    },
    messagesIn: (channelId) =>
      [...state.messages.values()].filter((message) => message.channel_id === channelId),
    botReactions: (messageId) => [...(state.botReactions.get(messageId) ?? [])],
    async waitForCall(method, path, timeoutMs = DEFAULT_TIMEOUT_MS) {
      const upper = method.toUpperCase();
      const find = (): RecordedCall | undefined =>
        rest.calls.find(
          (call) => !returned.has(call) && call.method === upper && pathMatches(path, call.path),
        );
      await waitFor(() => find() !== undefined, timeoutMs, `${upper} ${String(path)}`);
      const call = find() as RecordedCall;
      returned.add(call);
      return call;
    },
    waitFor,
    failNext: (method, path, spec) => rest.failNext(method, path, spec),
    dropConnections: () => gateway.dropConnections(),
    revokeToken() {
      revoked = true;
      gateway.closeAll(4004, "Authentication failed.");
    },
    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
