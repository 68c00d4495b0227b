// A loopback fake Matrix homeserver: the client-server API endpoints the Matrix adapter uses
// through matrix-js-sdk (spec v1.11): versions, whoami, /sync with since tokens and long
// polling, send (idempotent per transaction id), redact, typing, join/invite/leave,
// media upload and (authenticated) download. One bot account with an access token; a test
// makes rooms, invites the bot, posts as other users, and reads what the bot did.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  room_id: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  redacts?: string;
  unsigned?: Record<string, unknown>;
}

interface Room {
  id: string;
  name: string;
  members: Map<string, "join" | "invite" | "leave">;
  encrypted: boolean;
}

/** One change the bot's /sync reports; `pos` is its stream position. */
type ChangeInput =
  | { kind: "event"; event: MatrixEvent }
  | { kind: "invite"; roomId: string; inviter: string }
  | { kind: "typing"; roomId: string; userIds: string[] };
type Change = ChangeInput & { pos: number };

export interface FailureSpec {
  status: number;
  errcode: string;
  error?: string;
  retryAfterMs?: number;
  /** Answer this many matching requests normally first. */
  skip?: number;
}

export interface Request {
  method: string;
  path: string;
  body: unknown;
  status?: number;
}

export interface MatrixFake {
  baseUrl: string;
  serverName: string;
  botUserId: string;
  accessToken: string;
  readonly requests: Request[];
  createRoom(options: {
    name: string;
    members: string[];
    encrypted?: boolean;
    botJoined?: boolean;
  }): string;
  /** `inviter` invites the bot into the room (it joins through the API). */
  inviteBot(roomId: string, inviter: string): void;
  /** Posts an event as `sender`; resolves with its id. */
  post(roomId: string, sender: string, type: string, content: Record<string, unknown>): string;
  redact(roomId: string, sender: string, eventId: string): string;
  /** Events the bot sent into a room, in order. */
  sentByBot(roomId: string, type?: string): MatrixEvent[];
  /** The bot's live (unredacted) reaction keys on an event. */
  botReactionsOn(roomId: string, eventId: string): string[];
  membership(roomId: string, userId: string): string | undefined;
  /** Stored media by mxc URI, with what was uploaded. */
  upload(bytes: Uint8Array, contentType: string, fileName: string): string;
  media(mxc: string): { bytes: Uint8Array; contentType: string; fileName: string } | undefined;
  typingCalls: { roomId: string; typing: boolean }[];
  failNext(method: string, pathPattern: RegExp, failure: FailureSpec): void;
  waitForRequest(predicate: (request: Request) => boolean): Promise<Request>;
  /** Resolves once a /sync long poll is waiting. */
  waitForPoll(): Promise<void>;
  /** Ends every pending long poll with a dropped connection. */
  dropConnections(): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}

export async function startMatrixFake(
  options: {
    refuseToken?: boolean;
    /** The media config's m.upload.size, on the authenticated and the older endpoint. */
    uploadLimitBytes?: number;
  } = {},
): Promise<MatrixFake> {
  const serverName = "fake.test";
  const botUserId = `@andy:${serverName}`;
  const accessToken = "syt_fake_bot_token";
  const rooms = new Map<string, Room>();
  const changes: Change[] = [];
  const txns = new Map<string, string>();
  const mediaStore = new Map<
    string,
    { bytes: Uint8Array; contentType: string; fileName: string }
  >();
  const requests: Request[] = [];
  const failures: { method: string; path: RegExp; failure: FailureSpec }[] = [];
  const listeners = new Set<() => void>();
  const polls = new Set<ServerResponse>();
  const typingCalls: { roomId: string; typing: boolean }[] = [];
  let pos = 0;
  let counter = 0;
  let clock = Date.now();
  const now = () => (clock = Math.max(clock + 1, Date.now()));
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const record = (change: ChangeInput) => {
    pos += 1;
    changes.push({ ...change, pos });
    notify();
  };
  const roomOf = (roomId: string) => {
    const room = rooms.get(roomId);
    if (!room)
      throw Object.assign(new Error("Unknown room"), { status: 404, errcode: "M_NOT_FOUND" });
    return room;
  };
  const addEvent = (
    roomId: string,
    sender: string,
    type: string,
    content: Record<string, unknown>,
    extra: Partial<MatrixEvent> = {},
  ) => {
    counter += 1;
    const event: MatrixEvent = {
      event_id: `$ev${counter}`,
      type,
      sender,
      room_id: roomId,
      origin_server_ts: now(),
      content,
      ...extra,
    };
    record({ kind: "event", event });
    return event.event_id;
  };
  const setMembership = (
    roomId: string,
    userId: string,
    membership: "join" | "invite" | "leave",
    sender = userId,
  ) => {
    roomOf(roomId).members.set(userId, membership);
    addEvent(roomId, sender, "m.room.member", { membership }, { state_key: userId });
  };
  const events = () => changes.flatMap((change) => (change.kind === "event" ? [change.event] : []));

  /** The /sync response for changes after `since`, from the bot's point of view. */
  const syncBody = (since: number) => {
    const join: Record<string, unknown> = {};
    const invite: Record<string, unknown> = {};
    const leave: Record<string, unknown> = {};
    for (const change of changes.filter((c) => c.pos > since)) {
      const roomId = change.kind === "event" ? change.event.room_id : change.roomId;
      const room = rooms.get(roomId)!;
      if (change.kind === "invite") {
        if (room.members.get(botUserId) !== "invite") continue;
        invite[roomId] = {
          invite_state: {
            events: [
              {
                type: "m.room.name",
                state_key: "",
                sender: change.inviter,
                content: { name: room.name },
              },
              {
                type: "m.room.member",
                state_key: botUserId,
                sender: change.inviter,
                content: { membership: "invite" },
              },
            ],
          },
        };
        continue;
      }
      if (room.members.get(botUserId) !== "join") {
        if (
          change.kind === "event" &&
          change.event.state_key === botUserId &&
          change.event.content.membership === "leave"
        )
          leave[roomId] = { timeline: { events: [change.event] } };
        continue;
      }
      const entry = (join[roomId] ??= {
        timeline: { events: [] as MatrixEvent[], limited: false, prev_batch: `p${since}` },
        state: { events: [] },
        ephemeral: { events: [] as unknown[] },
      }) as { timeline: { events: MatrixEvent[] }; ephemeral: { events: unknown[] } };
      if (change.kind === "event") entry.timeline.events.push(change.event);
      else entry.ephemeral.events.push({ type: "m.typing", content: { user_ids: change.userIds } });
    }
    return {
      next_batch: String(pos),
      rooms: { join, invite, leave },
      presence: { events: [] },
      account_data: { events: [] },
    };
  };
  const hasNews = (since: number) =>
    JSON.stringify(syncBody(since).rooms) !== JSON.stringify({ join: {}, invite: {}, leave: {} });

  const handle = async (
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    body: Buffer,
  ) => {
    const path = url.pathname;
    const method = request.method ?? "GET";
    const parsedBody =
      body.length && request.headers["content-type"]?.includes("json")
        ? JSON.parse(body.toString("utf8"))
        : undefined;
    const entry: Request = { method, path, body: parsedBody };
    requests.push(entry);
    const reply = (status: number, payload: unknown) => {
      entry.status = status;
      json(response, status, payload);
      queueMicrotask(notify);
    };
    if (path === "/_matrix/client/versions")
      return reply(200, { versions: ["v1.1", "v1.5", "v1.11"], unstable_features: {} });
    const token =
      request.headers.authorization?.replace(/^Bearer /, "") ??
      url.searchParams.get("access_token");
    if (options.refuseToken || token !== accessToken)
      return reply(401, {
        errcode: "M_UNKNOWN_TOKEN",
        error: "Invalid access token passed.",
        soft_logout: false,
      });
    const failureIndex = failures.findIndex((f) => f.method === method && f.path.test(path));
    if (failureIndex >= 0) {
      const { failure } = failures[failureIndex]!;
      if (failure.skip) failure.skip -= 1;
      else {
        failures.splice(failureIndex, 1);
        return reply(failure.status, {
          errcode: failure.errcode,
          error: failure.error ?? failure.errcode,
          ...(failure.retryAfterMs !== undefined ? { retry_after_ms: failure.retryAfterMs } : {}),
        });
      }
    }
    const client = "/_matrix/client/v3";
    let match: RegExpExecArray | null;
    if (path === `${client}/account/whoami`)
      return reply(200, { user_id: botUserId, device_id: "FAKEDEVICE" });
    if (path === `${client}/capabilities`) return reply(200, { capabilities: {} });
    if (path === `${client}/pushrules/`) return reply(200, { global: {} });
    if (/^\/_matrix\/client\/v3\/user\/[^/]+\/filter$/.test(path) && method === "POST")
      return reply(200, { filter_id: "1" });
    if (path === `${client}/sync`) {
      const since = Number(url.searchParams.get("since") ?? "0");
      const timeout = Number(url.searchParams.get("timeout") ?? "0");
      if (!hasNews(since) && timeout > 0) {
        polls.add(response);
        notify();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeout);
          function done() {
            clearTimeout(timer);
            listeners.delete(check);
            response.off("close", done);
            resolve();
          }
          function check() {
            if (hasNews(since)) done();
          }
          listeners.add(check);
          response.once("close", done);
        });
        polls.delete(response);
        if (response.destroyed) return;
      }
      return reply(200, syncBody(since));
    }
    if (
      (match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/.exec(path)) &&
      method === "PUT"
    ) {
      const [roomId, type, txn] = [
        decodeURIComponent(match[1]!),
        decodeURIComponent(match[2]!),
        decodeURIComponent(match[3]!),
      ];
      const room = roomOf(roomId);
      if (room.members.get(botUserId) !== "join")
        return reply(403, { errcode: "M_FORBIDDEN", error: "not in room" });
      const key = `${roomId}\u0000${txn}`;
      const eventId =
        txns.get(key) ?? addEvent(roomId, botUserId, type, parsedBody as Record<string, unknown>);
      txns.set(key, eventId);
      return reply(200, { event_id: eventId });
    }
    if (
      (match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/redact\/([^/]+)\/([^/]+)$/.exec(path)) &&
      method === "PUT"
    ) {
      const [roomId, target, txn] = [
        decodeURIComponent(match[1]!),
        decodeURIComponent(match[2]!),
        decodeURIComponent(match[3]!),
      ];
      roomOf(roomId);
      const key = `${roomId}\u0000${txn}`;
      const eventId =
        txns.get(key) ??
        addEvent(
          roomId,
          botUserId,
          "m.room.redaction",
          { redacts: target, ...(parsedBody as object) },
          { redacts: target },
        );
      txns.set(key, eventId);
      return reply(200, { event_id: eventId });
    }
    if (
      (match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/typing\/([^/]+)$/.exec(path)) &&
      method === "PUT"
    ) {
      typingCalls.push({
        roomId: decodeURIComponent(match[1]!),
        typing: Boolean((parsedBody as { typing?: boolean }).typing),
      });
      return reply(200, {});
    }
    if (
      (match = /^\/_matrix\/client\/v3\/(?:join|rooms)\/([^/]+)(?:\/join)?$/.exec(path)) &&
      method === "POST"
    ) {
      const roomId = decodeURIComponent(match[1]!);
      const room = roomOf(roomId);
      if (!room.members.has(botUserId))
        return reply(403, { errcode: "M_FORBIDDEN", error: "You are not invited to this room." });
      setMembership(roomId, botUserId, "join");
      return reply(200, { room_id: roomId });
    }
    if (
      (match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/(invite|leave)$/.exec(path)) &&
      method === "POST"
    ) {
      const roomId = decodeURIComponent(match[1]!);
      if (match[2] === "invite")
        setMembership(roomId, (parsedBody as { user_id: string }).user_id, "invite", botUserId);
      else setMembership(roomId, botUserId, "leave");
      return reply(200, {});
    }
    if ((match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/joined_members$/.exec(path))) {
      const room = roomOf(decodeURIComponent(match[1]!));
      const joined = Object.fromEntries(
        [...room.members]
          .filter(([, m]) => m === "join")
          .map(([id]) => [id, { display_name: id.slice(1).split(":")[0] }]),
      );
      return reply(200, { joined });
    }
    if ((match = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/state\/([^/]+)\/?([^/]*)$/.exec(path))) {
      const [roomId = "", type, stateKey] = match
        .slice(1)
        .map((part) => decodeURIComponent(part ?? ""));
      roomOf(roomId);
      const latest = events()
        .filter((e) => e.room_id === roomId && e.type === type && e.state_key === stateKey)
        .at(-1);
      return latest
        ? reply(200, latest.content)
        : reply(404, { errcode: "M_NOT_FOUND", error: "Event not found." });
    }
    if ((match = /^\/_matrix\/client\/v3\/profile\/([^/]+)(?:\/displayname)?$/.exec(path))) {
      return reply(200, { displayname: decodeURIComponent(match[1]!).slice(1).split(":")[0] });
    }
    if (
      (path === "/_matrix/client/v1/media/config" || path === "/_matrix/media/v3/config") &&
      method === "GET" &&
      options.uploadLimitBytes !== undefined
    ) {
      return reply(200, { "m.upload.size": options.uploadLimitBytes });
    }
    if (path === "/_matrix/media/v3/upload" && method === "POST") {
      const mxc = fake.upload(
        new Uint8Array(body),
        request.headers["content-type"] ?? "application/octet-stream",
        url.searchParams.get("filename") ?? "upload",
      );
      return reply(200, { content_uri: mxc });
    }
    if (
      (match = /^\/_matrix\/(?:client\/v1|media\/v3)\/media\/download\/([^/]+)\/([^/]+)/.exec(
        path,
      )) ||
      (match = /^\/_matrix\/media\/v3\/download\/([^/]+)\/([^/]+)/.exec(path))
    ) {
      const stored = mediaStore.get(`mxc://${match[1]}/${match[2]}`);
      if (!stored) return reply(404, { errcode: "M_NOT_FOUND", error: "Not found" });
      entry.status = 200;
      response
        .writeHead(200, {
          "Content-Type": stored.contentType,
          "Content-Length": stored.bytes.byteLength,
        })
        .end(stored.bytes);
      queueMicrotask(notify);
      return;
    }
    return reply(404, {
      errcode: "M_UNRECOGNIZED",
      error: `Unrecognized request: ${method} ${path}`,
    });
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    void readBody(request)
      .then((body) => handle(request, response, url, body))
      .catch((error: { status?: number; errcode?: string; message?: string }) => {
        if (!response.headersSent)
          json(response, error.status ?? 500, {
            errcode: error.errcode ?? "M_UNKNOWN",
            error: error.message,
          });
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const fake: MatrixFake = {
    baseUrl: `http://127.0.0.1:${port}`,
    serverName,
    botUserId,
    accessToken,
    requests,
    typingCalls,
    createRoom({ name, members, encrypted = false, botJoined = false }) {
      counter += 1;
      const id = `!room${counter}:${serverName}`;
      rooms.set(id, { id, name, members: new Map(), encrypted });
      const creator = members[0] ?? botUserId;
      addEvent(id, creator, "m.room.create", {}, { state_key: "" });
      addEvent(id, creator, "m.room.name", { name }, { state_key: "" });
      if (encrypted)
        addEvent(
          id,
          creator,
          "m.room.encryption",
          { algorithm: "m.megolm.v1.aes-sha2" },
          { state_key: "" },
        );
      for (const member of members) setMembership(id, member, "join");
      if (botJoined) setMembership(id, botUserId, "join");
      return id;
    },
    inviteBot(roomId, inviter) {
      roomOf(roomId).members.set(botUserId, "invite");
      record({ kind: "invite", roomId, inviter });
    },
    post: (roomId, sender, type, content) => {
      roomOf(roomId);
      return addEvent(roomId, sender, type, content);
    },
    redact: (roomId, sender, eventId) =>
      addEvent(roomId, sender, "m.room.redaction", { redacts: eventId }, { redacts: eventId }),
    sentByBot: (roomId, type) =>
      events().filter(
        (event) =>
          event.room_id === roomId &&
          event.sender === botUserId &&
          (type === undefined || event.type === type),
      ),
    botReactionsOn(roomId, eventId) {
      const redacted = new Set(
        events()
          .filter((e) => e.type === "m.room.redaction")
          .map((e) => e.redacts),
      );
      return events()
        .filter(
          (e) =>
            e.room_id === roomId &&
            e.sender === botUserId &&
            e.type === "m.reaction" &&
            !redacted.has(e.event_id),
        )
        .map((e) => e.content["m.relates_to"] as { event_id: string; key: string })
        .filter((relation) => relation.event_id === eventId)
        .map((relation) => relation.key);
    },
    membership: (roomId, userId) => rooms.get(roomId)?.members.get(userId),
    upload(bytes, contentType, fileName) {
      const mxc = `mxc://${serverName}/${randomUUID().replaceAll("-", "")}`;
      mediaStore.set(mxc, { bytes, contentType, fileName });
      return mxc;
    },
    media: (mxc) => mediaStore.get(mxc),
    failNext(method, path, failure) {
      failures.push({ method, path, failure: { ...failure } });
    },
    waitForRequest: (predicate) =>
      new Promise((resolve) => {
        const check = () => {
          const found = requests.find((r) => r.status !== undefined && predicate(r));
          if (!found) return;
          listeners.delete(check);
          resolve(found);
        };
        listeners.add(check);
        check();
      }),
    waitForPoll: () =>
      new Promise((resolve) => {
        const check = () => {
          if (polls.size === 0) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      }),
    dropConnections() {
      for (const poll of polls) poll.destroy();
      polls.clear();
    },
    async close() {
      fake.dropConnections();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return fake;
}
