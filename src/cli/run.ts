// The pincer command line: picks the command, runs it, and turns failures into a message
// on stderr and an exit code (0 ok, 1 failure, 2 wrong usage).
import { backupCommand, restoreCommand } from "./backup.ts";
import { chatCommand } from "./chat.ts";
import { configCommand } from "./config.ts";
import { CliError, UsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { mcpCommand } from "./mcp.ts";
import { groupsCommand, statusCommand, tasksCommand } from "./status.ts";
import { skillsCommand } from "./skills.ts";
import { tokenCommand } from "./token.ts";
import { usageOf } from "./usage.ts";

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<void>> = {
  status: statusCommand,
  groups: groupsCommand,
  tasks: tasksCommand,
  skills: skillsCommand,
  chat: chatCommand,
  token: tokenCommand,
  config: configCommand,
  backup: backupCommand,
  restore: restoreCommand,
  mcp: mcpCommand,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command === undefined) throw new UsageError("which command?");
    if (command === "help" || command === "--help" || command === "-h") {
      io.stdout.write(`${usageOf(args[0])}\n`);
      return 0;
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`);
    if (args.includes("--help") || args.includes("-h")) {
      io.stdout.write(`${usageOf(command)}\n`);
      return 0;
    }
    await run(args, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`pincer: ${error.message}\n\n${usageOf(error.command ?? command)}\n`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      io.stderr.write(`pincer: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
