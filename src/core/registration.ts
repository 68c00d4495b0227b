// Registering a discovered chat as a group, shared by main's agent tool and the HTTP API.
import type { Db } from "../store/db.ts";
import {
  folderProblem,
  getGroupByChat,
  getGroupByFolder,
  insertGroup,
  listChats,
  suggestFolder,
  type Group,
} from "../store/groups.ts";

export interface RegistrationRequest {
  /** "<channel>:<chat id>" as list_groups and /api/groups show it. */
  chat: string;
  folder?: string | undefined;
  name?: string | undefined;
  trigger?: string | undefined;
  requiresTrigger?: boolean | undefined;
}

export function registerChat(
  db: Db,
  request: RegistrationRequest,
  assistantName: string,
): { group: Group } | { error: string } {
  const separator = request.chat.indexOf(":");
  if (separator <= 0) return { error: `"${request.chat}" is not of the form <channel>:<chat id>.` };
  const channel = request.chat.slice(0, separator);
  const chatId = request.chat.slice(separator + 1);
  if (getGroupByChat(db, channel, chatId))
    return { error: `${request.chat} is already registered.` };
  const known = listChats(db).find((chat) => chat.channel === channel && chat.chatId === chatId);
  if (!known)
    return {
      error: `No chat ${request.chat} has been seen yet; list the discovered chats to find it.`,
    };
  const name = request.name ?? (known.name || request.chat);
  const folder = request.folder ?? suggestFolder(db, name);
  const problem = folderProblem(folder);
  if (problem) return { error: problem };
  if (getGroupByFolder(db, folder)) return { error: `The folder "${folder}" is taken.` };
  const group = insertGroup(
    db,
    {
      channel,
      chatId,
      folder,
      name,
      trigger: request.trigger ?? `@${assistantName}`,
      requiresTrigger: request.requiresTrigger ?? known.isGroup,
      isMain: false,
    },
    Date.now(),
  );
  return { group };
}
