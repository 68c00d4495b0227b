// Failures the CLI reports as one line: exit 1 for a failure, 2 for a wrong command line.
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export class UsageError extends CliError {
  /** The command whose usage to show, or undefined for the overview. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message, 2);
    this.name = "UsageError";
    this.command = command;
  }
}
