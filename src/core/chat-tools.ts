// The chat tools every group's agent has (send_message, send_file, ask_user, list_groups,
// register_group, search_history), as the core answers them. Each set is made for one group and its
// session: only the main chat may reach other groups.
import type { ToolHost, ToolResult } from "../agent/tools.ts";
import type { Channel } from "../channels/channel.ts";
import { formatSize } from "../channels/file-limits.ts";
import { groupDir, outboundFilesDir, type Paths } from "../data-layout.ts";
import type { Db } from "../store/db.ts";
import { getGroupByFolder, listChats, listGroups, type Group } from "../store/groups.ts";
import { searchMessages } from "../store/messages.ts";
import { stripInternal } from "./format.ts";
import { groupListing } from "./group-listing.ts";
import { registerChat } from "./registration.ts";
import { takeFile, type TakenFile } from "./send-file.ts";

export interface ChatToolDeps {
  db: Db;
  paths: Paths;
  /** The running channels: send_file checks the destination's can take files, and how large. */
  channels: Map<string, Channel>;
  assistantName: string;
  /**
   * Queues a reply (a file with `text` as its caption); `turnThrough` ties it to the running
   * turn of that group.
   */
  reply(group: Group, text: string, turnThrough: number | undefined, file?: TakenFile): void;
  /** Asks the group's chat (ask_user); `turnThrough` as for reply; `signal` withdraws it. */
  ask(
    group: Group,
    question: string,
    choices: string[],
    turnThrough: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ToolResult>;
}

export type ChatTools = Omit<ToolHost, "group" | "extraTools">;

/** The tools of `group`'s agent; `session.through` is how far its running turn has read. */
export function chatTools(
  deps: ChatToolDeps,
  group: Group,
  session: { readonly through: number },
): ChatTools {
  const { db } = deps;
  /** Where a send goes: this chat, or for main any registered group by its folder. */
  const destinationOf = (target: string | undefined): Group | ToolResult => {
    if (!target || target === group.folder) return group;
    if (!group.isMain)
      return { text: "Only the main chat can send to other groups.", isError: true };
    const found = getGroupByFolder(db, target);
    if (!found) return { text: `No registered group has the folder "${target}".`, isError: true };
    return found;
  };
  const through = (destination: Group) =>
    destination.id === group.id ? session.through : undefined;
  return {
    sendMessage(target, text): ToolResult {
      const destination = destinationOf(target);
      if ("isError" in destination) return destination;
      const clean = stripInternal(text);
      if (!clean)
        return { text: "Nothing to send after removing <internal> notes.", isError: true };
      deps.reply(destination, clean, through(destination));
      return { text: `Sent to ${destination.name}.`, isError: false };
    },

    askUser(question, choices, signal): Promise<ToolResult> {
      return deps.ask(group, question, choices, session.through, signal);
    },

    async sendFile(target, path, caption): Promise<ToolResult> {
      const destination = destinationOf(target);
      if ("isError" in destination) return destination;
      const channel = deps.channels.get(destination.channel);
      if (!channel)
        return {
          text: `${destination.name} is a chat on ${destination.channel}, which is not set up here.`,
          isError: true,
        };
      if (!channel.sendFile)
        return {
          text: `${destination.name} is a chat on ${destination.channel}, where files cannot be sent.`,
          isError: true,
        };
      const taken = await takeFile({
        folder: groupDir(deps.paths, group.folder),
        given: path,
        channel: channel.name,
        maxBytes: channel.maxFileBytes,
        filesDir: outboundFilesDir(deps.paths),
      });
      if ("error" in taken) return { text: taken.error, isError: true };
      deps.reply(destination, stripInternal(caption ?? ""), through(destination), taken.file);
      const { name, size } = taken.file;
      return { text: `Sent ${name} (${formatSize(size)}) to ${destination.name}.`, isError: false };
    },

    listGroups(): ToolResult {
      return { text: groupListing(listGroups(db), listChats(db)), isError: false };
    },

    registerGroup(args): ToolResult {
      const result = registerChat(
        db,
        { ...args, requiresTrigger: args.requires_trigger },
        deps.assistantName,
      );
      if ("error" in result) return { text: result.error, isError: true };
      const registered = result.group;
      return {
        text: `Registered ${registered.name} as folder ${registered.folder} (trigger ${registered.trigger}).`,
        isError: false,
      };
    },

    searchHistory(query, limit): ToolResult {
      const found = searchMessages(db, group.channel, group.chatId, query, limit);
      if (found.length === 0)
        return { text: `Nothing in this chat's history matches "${query}".`, isError: false };
      const lines = found.map(
        (m) =>
          `[${new Date(m.timestamp).toISOString().slice(0, 16).replace("T", " ")}] ${m.senderName}: ${m.text.slice(0, 500)}`,
      );
      return { text: lines.join("\n"), isError: false };
    },
  };
}
