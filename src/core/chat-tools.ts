// The chat tools every group's agent has (send_message, ask_user, list_groups,
// register_group, search_history), as the core answers them. Each set is made for one group and its
// session: only the main chat may reach other groups.
import type { ToolHost, ToolResult } from "../agent/tools.ts";
import type { Db } from "../store/db.ts";
import { getGroupByFolder, listChats, listGroups, type Group } from "../store/groups.ts";
import { searchMessages } from "../store/messages.ts";
import { stripInternal } from "./format.ts";
import { groupListing } from "./group-listing.ts";
import { registerChat } from "./registration.ts";

export interface ChatToolDeps {
  db: Db;
  assistantName: string;
  /** Queues a reply; `turnThrough` ties it to the running turn of that group. */
  reply(group: Group, text: string, turnThrough: number | undefined): void;
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
  return {
    sendMessage(target, text): ToolResult {
      let destination = group;
      if (target && target !== group.folder) {
        if (!group.isMain)
          return { text: "Only the main chat can send to other groups.", isError: true };
        const found = getGroupByFolder(db, target);
        if (!found)
          return { text: `No registered group has the folder "${target}".`, isError: true };
        destination = found;
      }
      const clean = stripInternal(text);
      if (!clean)
        return { text: "Nothing to send after removing <internal> notes.", isError: true };
      deps.reply(destination, clean, destination.id === group.id ? session.through : undefined);
      return { text: `Sent to ${destination.name}.`, isError: false };
    },

    askUser(question, choices, signal): Promise<ToolResult> {
      return deps.ask(group, question, choices, session.through, signal);
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
