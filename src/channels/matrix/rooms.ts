// What the bot knows of the rooms it is in: each room's name, its members' display names
// and whether it is encrypted. Loaded once per room from the homeserver, then kept current
// from the room's state and timeline events as /sync delivers them.
import { Method, type MatrixClient } from "matrix-js-sdk";
import { displayName, localpart, type MatrixRawEvent, type RoomContext } from "./inbound.ts";

export interface RoomInfo {
  name: string | null;
  members: Map<string, string>;
  encrypted: boolean;
}

/** A room's name, members and encryption as the homeserver has them now (a missing one is left out). */
export async function loadRoomInfo(client: MatrixClient, roomId: string): Promise<RoomInfo> {
  const path = (rest: string) => `/rooms/${encodeURIComponent(roomId)}${rest}`;
  const optional = <T>(request: Promise<T>) => request.catch(() => undefined);
  const [members, name, encryption] = await Promise.all([
    optional(
      client.http.authedRequest<{ joined: Record<string, { display_name?: string }> }>(
        Method.Get,
        path("/joined_members"),
      ),
    ),
    optional(client.http.authedRequest<{ name?: string }>(Method.Get, path("/state/m.room.name/"))),
    optional(
      client.http.authedRequest<{ algorithm?: string }>(
        Method.Get,
        path("/state/m.room.encryption/"),
      ),
    ),
  ]);
  return {
    name: name?.name || null,
    members: new Map(
      Object.entries(members?.joined ?? {}).map(([id, member]) => [
        id,
        member.display_name || localpart(id),
      ]),
    ),
    encrypted: Boolean(encryption?.algorithm),
  };
}

/** Takes in what `event` changes of the room; true when it made the room encrypted. */
export function learn(info: RoomInfo, event: MatrixRawEvent): boolean {
  if (event.type === "m.room.name") info.name = String(event.content.name ?? "") || null;
  if (event.type === "m.room.member" && event.state_key) {
    if (event.content.membership === "join")
      info.members.set(
        event.state_key,
        String(event.content.displayname ?? "") || localpart(event.state_key),
      );
    else info.members.delete(event.state_key);
  }
  if (event.type !== "m.room.encryption" || info.encrypted) return false;
  info.encrypted = true;
  return true;
}

/** The room as its events are translated: a room without a name is named for the others in it. */
export function roomContext(roomId: string, info: RoomInfo, botUserId: string): RoomContext {
  const others = [...info.members.keys()].filter((id) => id !== botUserId);
  const base: RoomContext = {
    roomId,
    name: "",
    isGroup: info.members.size > 2,
    displayNames: info.members,
  };
  return {
    ...base,
    name: info.name ?? (others.map((id) => displayName(id, base)).join(", ") || roomId),
  };
}

/** The channel's state detail while the bot is in encrypted rooms it cannot read yet. */
export function encryptedRoomsDetail(rooms: ReadonlyMap<string, RoomInfo>): string | undefined {
  const encrypted = [...rooms]
    .filter(([, room]) => room.encrypted)
    .map(([id, room]) => room.name ?? id);
  return encrypted.length
    ? `the bot is in encrypted rooms it cannot read yet: ${encrypted.join(", ")}`
    : undefined;
}
