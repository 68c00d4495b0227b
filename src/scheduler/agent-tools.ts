// The task tools as the agent sees them: the SDK tool definitions over task-tools.ts,
// each bound to the group whose agent gets them.
import { tool } from "../agent/sdk.ts";
import type { Db } from "../store/db.ts";
import { getGroup, getGroupByFolder, listGroups, type Group } from "../store/groups.ts";
import {
  cancelTask,
  listTasks,
  listTasksShape,
  pauseTask,
  resumeTask,
  scheduleTask,
  scheduleTaskShape,
  taskIdShape,
  updateTask,
  updateTaskShape,
  type TaskToolContext,
  type ToolResult,
} from "./task-tools.ts";
import type { AgentTool } from "../agent/tools.ts";

function reply(result: ToolResult) {
  return { content: [{ type: "text" as const, text: result.text }], isError: result.isError };
}

export function taskTools(
  group: Group,
  deps: { db: Db; defaultTimezone: string; scheduler: { changed(): void } },
): AgentTool[] {
  const context: TaskToolContext = {
    db: deps.db,
    groupId: group.id,
    isMain: group.isMain,
    defaultTimezone: deps.defaultTimezone,
    clock: Date.now,
    resolveGroup: (folderOrName) =>
      getGroupByFolder(deps.db, folderOrName)?.id ??
      listGroups(deps.db).find((g) => g.name.toLowerCase() === folderOrName.toLowerCase())?.id,
    describeGroup: (id) => getGroup(deps.db, id)?.name,
    scheduler: deps.scheduler,
  };
  // Over MCP an absent optional key is simply absent; the SDK's inferred handler type lists
  // every key, so the handlers take the arguments as the shapes' input types.
  return [
    tool(
      "schedule_task",
      "Schedule a prompt to run later on its own: recurring (cron or interval) or once. The result is posted to the chat.",
      scheduleTaskShape,
      async (args) => reply(scheduleTask(context, args as Parameters<typeof scheduleTask>[1])),
    ),
    tool(
      "list_tasks",
      "List scheduled tasks with their schedule, next run and last result.",
      listTasksShape,
      async (args) => reply(listTasks(context, args as Parameters<typeof listTasks>[1])),
    ),
    tool(
      "update_task",
      "Change a scheduled task's prompt, schedule, mode or pre-script.",
      updateTaskShape,
      async (args) => reply(updateTask(context, args as Parameters<typeof updateTask>[1])),
    ),
    tool("pause_task", "Pause a scheduled task until resumed.", taskIdShape, async (args) =>
      reply(pauseTask(context, args as Parameters<typeof pauseTask>[1])),
    ),
    tool(
      "resume_task",
      "Resume a paused task; slots missed while paused are skipped.",
      taskIdShape,
      async (args) => reply(resumeTask(context, args as Parameters<typeof resumeTask>[1])),
    ),
    tool("cancel_task", "Cancel a scheduled task for good.", taskIdShape, async (args) =>
      reply(cancelTask(context, args as Parameters<typeof cancelTask>[1])),
    ),
  ];
}
