// pincer status / groups / tasks: the service at a glance, as tables or as its JSON; and
// `pincer groups set`, a group's model and effort.
import { jsonOf } from "./client.ts";
import { clientFor, CONNECTION_OPTIONS, parseCommand, print, printJson, type CliIo } from "./io.ts";
import { formatTime, formatZonedTime, oneLine, table } from "./table.ts";
import { UsageError } from "./errors.ts";
import type { Effort } from "../store/groups.ts";

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

/** "default" on the command line is the API's null: back to the service's default. */
const orDefault = (value: string | undefined) => (value === "default" ? null : value);

/** pincer groups set FOLDER [--model ID|default] [--effort LEVEL|default] */
async function groupSetCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommand("groups", {
    args,
    options: { ...CONNECTION_OPTIONS, model: { type: "string" }, effort: { type: "string" } },
    allowPositionals: true,
  });
  const [folder, ...rest] = positionals;
  if (!folder || rest.length > 0)
    throw new UsageError("groups set takes one group folder", "groups");
  if (values.model === undefined && values.effort === undefined)
    throw new UsageError("groups set: give --model and/or --effort", "groups");
  const reply = await jsonOf(
    clientFor(values, io).api.groups[":folder"].$patch({
      param: { folder },
      // Sent as typed: the service validates both and names what is wrong.
      json: { model: orDefault(values.model), effort: orDefault(values.effort) as Effort | null },
    }),
  );
  if (values.json) return printJson(io, reply);
  const group = reply.group!;
  print(
    io,
    `${group.folder}: model ${group.model ?? "default"}, effort ${group.effort ?? "default"} (from its next turn)`,
  );
}

export async function groupsCommand(args: string[], io: CliIo): Promise<void> {
  if (args[0] === "set") return groupSetCommand(args.slice(1), io);
  const { values } = parseCommand("groups", { args, options: CONNECTION_OPTIONS });
  const reply = await jsonOf(clientFor(values, io).api.groups.$get());
  if (values.json) return printJson(io, reply);
  const lines = [
    table(
      ["FOLDER", "NAME", "CHAT", "TRIGGER", "MODEL", "EFFORT"],
      reply.groups.map((group) => [
        group.isMain ? `${group.folder} (main)` : group.folder,
        group.name,
        `${group.channel}:${group.chatId}`,
        group.requiresTrigger ? group.trigger : "(every message)",
        group.model ?? "default",
        group.effort ?? "default",
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
  const client = clientFor(values, io);
  const reply = await jsonOf(client.api.tasks.$get());
  if (values.json) return printJson(io, reply);
  if (reply.tasks.length === 0) return print(io, "No scheduled tasks.");
  // One zone for every time shown, the service's, named in the headers.
  const { timezone } = await jsonOf(client.api.status.$get());
  print(
    io,
    table(
      [
        "ID",
        "GROUP",
        "STATUS",
        "SCHEDULE",
        `NEXT RUN (${timezone})`,
        `LAST RUN (${timezone})`,
        "PROMPT",
        "LAST RESULT",
      ],
      reply.tasks.map((task) => [
        task.id,
        task.group ?? "-",
        task.status,
        task.schedule,
        formatZonedTime(task.nextRunAt, timezone),
        formatZonedTime(task.lastRunAt, timezone),
        oneLine(task.prompt, 40),
        oneLine(task.lastResult ?? "-", 40),
      ]),
    ),
  );
}
