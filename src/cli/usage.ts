// The help texts.
const CONNECTION = `Connection (commands that talk to the running service):
  --url URL         the service (default: PINCER_URL, else http://127.0.0.1:$PORT, PORT=3000)
  --token TOKEN     the admin token (default: PINCER_TOKEN, ADMIN_TOKEN, else DATA_DIR/admin-token)
  --data-dir DIR    where to find admin-token (default: DATA_DIR, else /data or ./data)
  --json            print the service's JSON instead of a table`;

export const OVERVIEW = `Usage: pincer <command> [options]

Commands:
  status            channels, running agents, warnings
  groups            registered groups and chats seen but not registered
  tasks             scheduled tasks
  chat              chat with the main group: one message per line of input
  token             print the admin token; --rotate makes a new one
  config            show, set or unset the settings the setup page makes
  backup            write a backup archive (tar.gz) of DATA_DIR
  restore FILE      replace DATA_DIR with a backup (the service must be stopped)

Run "pincer <command> --help" for a command's options.

${CONNECTION}`;

const COMMANDS: Record<string, string> = {
  status: `Usage: pincer status [--json]

Shows the assistant, its model credential, every channel's state, the agents running now
and start-up warnings.

${CONNECTION}`,
  groups: `Usage: pincer groups [--json]

Lists the registered groups, then the chats the service has seen that are not registered.

${CONNECTION}`,
  tasks: `Usage: pincer tasks [--json]

Lists the scheduled tasks of every group with their next and last run.

${CONNECTION}`,
  chat: `Usage: pincer chat [--wait SECONDS] [--json]

Sends each line of standard input to the main group and prints the replies as they come.
Typed at a terminal it is a conversation (end it with Ctrl-D); with piped input it exits
once the reply to the last line has arrived.

  --wait SECONDS    how long to wait for that last reply (default 600)
  --json            print each reply (and status change) as one JSON line

${CONNECTION}`,
  token: `Usage: pincer token [--rotate] [--data-dir DIR]

Prints the admin token kept in DATA_DIR/admin-token. With --rotate, asks the running
service for a new one (which ends every browser session) and prints that.

${CONNECTION}`,
  config: `Usage: pincer config [show]
       pincer config set NAME [VALUE]
       pincer config unset NAME

Shows or changes what the setup page sets: ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN,
ANTHROPIC_BASE_URL, TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN,
WHATSAPP_ENABLED, WHATSAPP_PHONE, TZ, ASSISTANT_NAME and MAIN_CHAT. A change applies at
once, without a restart; a model credential is tried before it is saved. Secrets are shown
masked. Without VALUE, set reads it from standard input (so a token stays out of the shell's
history). A variable set in the service's environment wins and cannot be changed here.

${CONNECTION}`,
  backup: `Usage: pincer backup [--output FILE] [--data-dir DIR]

Writes one tar.gz with everything in DATA_DIR: the database (copied consistently while the
service runs), group folders and memory, channel logins and the admin token. Without
--data-dir it downloads the backup from the running service; with --data-dir it reads that
directory directly (the service may be stopped).

  --output FILE     where to write it ("-" for standard output;
                    default pincer-backup-<time>.tar.gz here)
  --data-dir DIR    back up this directory instead of asking the service
  --url, --token    the service to ask (see "pincer --help")
  --json            print the backup's manifest when done`,
  restore: `Usage: pincer restore FILE [--data-dir DIR] [--json]

Replaces DATA_DIR with the contents of a backup. Stop the service first: the restore
refuses to run while anything has the database open. The archive is checked completely
before anything is written, and the replaced directory is kept beside it as
DATA_DIR.before-restore-<time> (inside DATA_DIR when it is a mount point).

  --data-dir DIR    the directory to restore into (default: DATA_DIR, else /data or ./data)
  --json            print what was restored as JSON`,
};

export function usageOf(command: string | undefined): string {
  return (command && COMMANDS[command]) || OVERVIEW;
}
