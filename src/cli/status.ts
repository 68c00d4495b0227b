// pincer status / groups / tasks: the service at a glance, as tables or as its JSON.
import { jsonOf } from "./client.ts";
import { clientFor, CONNECTION_OPTIONS, parseCommand, print, printJson, type CliIo } from "./io.ts";
import { formatTime, oneLine, table } from "./table.ts";

export async function statusCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand("status", { args, options: CONNECTION_OPTIONS });
  const client = clientFor(values, io);
  const [status, groups] = await Promise.all([
    jsonOf(client.api.status.$get()),
    jsonOf(client.api.groups.$get()),
  ]);
  if (values.json) return printJson(io, status);
  const folders = new Map(groups.groups.map((group) => [group.id, group.folder]));
  const lines = [
    `Assistant   ${status.assistantName} (time zone ${status.timezone}) at ${client.url}`,
    `Credential  ${status.credential}`,
  ];
  if (status.pairingCode)
    lines.push(
      `Pairing     send "/pair ${status.pairingCode}" to the bot to make a chat main (until ${formatTime(status.pairingExpiresAt)})`,
    );
  lines.push(
    "",
    table(
      ["CHANNEL", "STATUS", "SINCE", "DETAIL"],
      Object.entries(status.channels).map(([name, state]) => [
        name,
        state.status,
        formatTime(state.since),
        state.detail ?? "",
      ]),
    ),
    "",
  );
  if (status.agents.length === 0) lines.push("No agent is running.");
  else
    lines.push(
      table(
        ["AGENT FOR", "STATE", "PID"],
        status.agents.map((agent) => [
          folders.get(agent.groupId) ?? `group ${agent.groupId}`,
          agent.busy ? "working" : "idle",
          agent.pid ?? "-",
        ]),
      ),
    );
  for (const warning of status.warnings) lines.push("", `Warning: ${warning}`);
  print(io, lines.join("\n"));
}

export async function groupsCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand("groups", { args, options: CONNECTION_OPTIONS });
  const reply = await jsonOf(clientFor(values, io).api.groups.$get());
  if (values.json) return printJson(io, reply);
  const lines = [
    table(
      ["FOLDER", "NAME", "CHAT", "TRIGGER"],
      reply.groups.map((group) => [
        group.isMain ? `${group.folder} (main)` : group.folder,
        group.name,
        `${group.channel}:${group.chatId}`,
        group.requiresTrigger ? group.trigger : "(every message)",
      ]),
    ),
  ];
  if (reply.discovered.length > 0)
    lines.push(
      "",
      "Seen but not registered:",
      table(
        ["CHAT", "NAME", "KIND", "LAST MESSAGE"],
        reply.discovered.map((chat) => [
          `${chat.channel}:${chat.chatId}`,
          chat.name || "-",
          chat.isGroup ? "group" : "direct",
          formatTime(chat.lastMessageAt),
        ]),
      ),
    );
  print(io, lines.join("\n"));
}

export async function tasksCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand("tasks", { args, options: CONNECTION_OPTIONS });
  const reply = await jsonOf(clientFor(values, io).api.tasks.$get());
  if (values.json) return printJson(io, reply);
  if (reply.tasks.length === 0) return print(io, "No scheduled tasks.");
  print(
    io,
    table(
      ["ID", "GROUP", "STATUS", "SCHEDULE", "NEXT RUN", "LAST RUN", "PROMPT", "LAST RESULT"],
      reply.tasks.map((task) => [
        task.id,
        task.group ?? "-",
        task.status,
        task.schedule,
        formatTime(task.nextRunAt),
        formatTime(task.lastRunAt),
        oneLine(task.prompt, 40),
        oneLine(task.lastResult ?? "-", 40),
      ]),
    ),
  );
}
