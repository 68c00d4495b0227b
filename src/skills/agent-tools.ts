// request_skill: the main chat's agent may ask for a skill from a git repository. It only
// files a pending request; nothing is fetched until the owner approves it on the Skills
// page (or with the API). Other chats' agents do not get the tool.
import { tool } from "../agent/sdk.ts";
import { z } from "zod";
import type { AgentTool } from "../agent/tools.ts";
import type { Paths } from "../data-layout.ts";
import type { Db } from "../store/db.ts";
import { getGroupByFolder, type Group } from "../store/groups.ts";
import { insertSkillRequest } from "../store/skill-requests.ts";
import { gitSourceProblem } from "./git-source.ts";

const text = (value: string, isError = false) => ({
  content: [{ type: "text" as const, text: value }],
  isError,
});

export function skillTools(group: Group, deps: { db: Db; paths: Paths }): AgentTool[] {
  if (!group.isMain) return [];
  return [
    tool(
      "request_skill",
      "Ask the owner to install a skill (a folder with a SKILL.md) from a git repository, for one chat or for every chat. This files a request; the owner approves or rejects it on the admin page's Skills section. Tell the owner you asked, and why.",
      {
        url: z
          .string()
          .max(2000)
          .describe("The repository: https://…, ssh://…, git://… or user@host:path"),
        ref: z
          .string()
          .max(200)
          .optional()
          .describe("A branch, tag or commit; default branch if omitted"),
        subpath: z
          .string()
          .max(500)
          .optional()
          .describe("The skill's folder inside the repository, e.g. skills/pdf"),
        group: z
          .string()
          .max(64)
          .optional()
          .describe("The folder of the chat it is for (see list_groups); omit for every chat"),
        reason: z.string().min(1).max(1000).describe("Why the skill is wanted, for the owner"),
      },
      async (args) => {
        const problem = gitSourceProblem(args, { owner: false, dataDir: deps.paths.dataDir });
        if (problem) return text(`Not filed: ${problem}`, true);
        if (args.group !== undefined && !getGroupByFolder(deps.db, args.group))
          return text(`Not filed: no chat has the folder "${args.group}" (see list_groups)`, true);
        const request = insertSkillRequest(
          deps.db,
          {
            requestedBy: group.id,
            url: args.url,
            ref: args.ref ?? null,
            subpath: args.subpath ?? null,
            target: args.group ?? null,
            reason: args.reason,
          },
          Date.now(),
        );
        return text(
          `Request #${request.id} filed. Nothing is installed until the owner approves it on the admin page (Skills); it reaches the chat's agent when it next starts.`,
        );
      },
    ),
  ];
}
