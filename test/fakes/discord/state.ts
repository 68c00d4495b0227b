// The fake Discord's world: users, guilds, channels and messages, shaped as API v10 objects
// so that the REST side and the gateway side hand out the same JSON.

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

export interface UserInput {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

export interface FakeChannel {
  id: string;
  type: number;
  name?: string;
  guild_id?: string;
  position?: number;
  permission_overwrites?: unknown[];
  parent_id?: string | null;
  nsfw?: boolean;
  topic?: string | null;
  rate_limit_per_user?: number;
  recipients?: FakeUser[];
  last_message_id: string | null;
}

export interface FakeGuild {
  id: string;
  name: string;
  channels: FakeChannel[];
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  duration_secs?: number;
  waveform?: string;
}

export interface FakeReaction {
  emoji: { id: null; name: string };
  count: number;
  me: boolean;
}

export interface FakeButton {
  type: 2;
  style: number;
  label: string;
  custom_id: string;
}

export interface FakeActionRow {
  type: 1;
  components: FakeButton[];
}

/** A button tap the fake sent as INTERACTION_CREATE, and how the bot responded to it. */
export interface FakeInteraction {
  id: string;
  token: string;
  /** The callback type the bot answered with (6 = deferred update), once it did. */
  response: number | null;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  member?: {
    roles: string[];
    joined_at: string;
    nick: string | null;
    deaf: boolean;
    mute: boolean;
    flags: number;
  };
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: FakeUser[];
  mention_roles: string[];
  attachments: FakeAttachment[];
  embeds: unknown[];
  reactions?: FakeReaction[];
  /** Action rows of buttons (message components), as the bot sent or last edited them. */
  components?: FakeActionRow[];
  pinned: boolean;
  type: number;
  flags: number;
  message_reference?: { type: 0; message_id: string; channel_id: string; guild_id?: string };
  referenced_message?: FakeMessage | null;
  channel_type?: number;
}

export const ChannelTypes = { GuildText: 0, DM: 1, GuildAnnouncement: 5 } as const;
const MESSAGE_TYPE_DEFAULT = 0;
const MESSAGE_TYPE_REPLY = 19;
const DISCORD_EPOCH = 1420070400000n;

export class DiscordState {
  readonly botUser: FakeUser;
  readonly guilds = new Map<string, FakeGuild>();
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, FakeMessage>();
  readonly users = new Map<string, FakeUser>();
  /** Uploaded and injected file contents, served under /attachments/<id>/<name>. */
  readonly files = new Map<string, Uint8Array>();
  readonly botReactions = new Map<string, Set<string>>();
  readonly interactions: FakeInteraction[] = [];
  baseUrl = "";
  #increment = 0n;

  constructor(botUser: UserInput) {
    this.botUser = this.user({ ...botUser, bot: true });
  }

  /** A real snowflake, so that discord.js derives the right creation time from the id. */
  snowflake(): string {
    this.#increment = (this.#increment + 1n) & 0xfffn;
    return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | this.#increment).toString();
  }

  user(input: UserInput): FakeUser {
    const user: FakeUser = {
      id: input.id,
      username: input.username,
      global_name: input.global_name ?? null,
      discriminator: "0",
      avatar: null,
      ...(input.bot ? { bot: true } : {}),
    };
    this.users.set(user.id, user);
    return user;
  }

  addGuild(input: {
    id: string;
    name: string;
    channels: { id: string; name: string; type?: number }[];
  }): FakeGuild {
    const channels = input.channels.map((channel, position) => {
      const created: FakeChannel = {
        id: channel.id,
        type: channel.type ?? ChannelTypes.GuildText,
        name: channel.name,
        guild_id: input.id,
        position,
        permission_overwrites: [],
        parent_id: null,
        nsfw: false,
        topic: null,
        rate_limit_per_user: 0,
        last_message_id: null,
      };
      this.channels.set(created.id, created);
      return created;
    });
    const guild: FakeGuild = { id: input.id, name: input.name, channels };
    this.guilds.set(guild.id, guild);
    return guild;
  }

  addDmChannel(input: { id: string; recipient: UserInput }): FakeChannel {
    const channel: FakeChannel = {
      id: input.id,
      type: ChannelTypes.DM,
      recipients: [this.user(input.recipient)],
      last_message_id: null,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** GUILD_CREATE's payload: the guild with its channels, as a bot sees it on joining. */
  guildCreatePayload(guild: FakeGuild): Record<string, unknown> {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      owner_id: this.botUser.id,
      unavailable: false,
      member_count: 2,
      large: false,
      joined_at: new Date().toISOString(),
      features: [],
      roles: [
        {
          id: guild.id,
          name: "@everyone",
          permissions: "1071698660928",
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        },
      ],
      emojis: [],
      stickers: [],
      members: [],
      channels: guild.channels.map(({ guild_id: _omitted, ...channel }) => channel),
      threads: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  channel(id: string): FakeChannel | undefined {
    return this.channels.get(id);
  }

  storeFile(name: string, bytes: Uint8Array, contentType?: string): FakeAttachment {
    const id = this.snowflake();
    this.files.set(`${id}/${name}`, bytes);
    const url = `${this.baseUrl}/attachments/${id}/${encodeURIComponent(name)}`;
    return {
      id,
      filename: name,
      size: bytes.byteLength,
      url,
      proxy_url: url,
      ...(contentType ? { content_type: contentType } : {}),
    };
  }

  /** Stores a message the way Discord builds it: mentions parsed from the content, reply resolved. */
  createMessage(input: {
    channel: FakeChannel;
    author: FakeUser;
    content: string;
    mentions?: string[];
    replyTo?: string;
    replyPing?: boolean;
    attachments?: FakeAttachment[];
    flags?: number;
  }): FakeMessage {
    const { channel, author } = input;
    const referenced = input.replyTo ? this.messages.get(input.replyTo) : undefined;
    const mentionIds = new Set(input.mentions ?? []);
    for (const match of input.content.matchAll(/<@!?(\d+)>/g))
      if (match[1]) mentionIds.add(match[1]);
    // A reply pings the replied-to author by default, and Discord lists them as mentioned;
    // with the ping turned off they are not listed (referenced_message still names them).
    if (referenced && input.replyPing !== false) mentionIds.add(referenced.author.id);
    const mentions = [...mentionIds].flatMap((id) => this.users.get(id) ?? []);
    const message: FakeMessage = {
      id: this.snowflake(),
      channel_id: channel.id,
      ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      author,
      ...(channel.guild_id
        ? {
            member: {
              roles: [],
              joined_at: new Date(0).toISOString(),
              nick: null,
              deaf: false,
              mute: false,
              flags: 0,
            },
          }
        : {}),
      content: input.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions,
      mention_roles: [],
      attachments: input.attachments ?? [],
      embeds: [],
      pinned: false,
      type: referenced ? MESSAGE_TYPE_REPLY : MESSAGE_TYPE_DEFAULT,
      flags: input.flags ?? 0,
      channel_type: channel.type,
      ...(referenced
        ? {
            message_reference: {
              type: 0 as const,
              message_id: referenced.id,
              channel_id: channel.id,
              ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
            },
            referenced_message: { ...referenced, referenced_message: null },
          }
        : {}),
    };
    this.messages.set(message.id, message);
    channel.last_message_id = message.id;
    return message;
  }

  messageWithReactions(message: FakeMessage): FakeMessage {
    const mine = this.botReactions.get(message.id);
    if (!mine || mine.size === 0) return message;
    return {
      ...message,
      reactions: [...mine].map((name) => ({ emoji: { id: null, name }, count: 1, me: true })),
    };
  }
}
