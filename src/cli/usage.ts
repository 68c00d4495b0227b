// The help texts.
const CONNECTION = `Connection (commands that talk to the running service):
  --url URL         the service (default: PINCER_URL, else http://127.0.0.1:$PORT, PORT=3000)
  --token TOKEN     the admin token (default: PINCER_TOKEN, ADMIN_TOKEN, else DATA_DIR/admin-token)
  --data-dir DIR    where to find admin-token (default: DATA_DIR, else /data or ./data)
  --json            print the service's JSON instead of a table`;

export const OVERVIEW = `Usage: pincer <command> [options]

Commands:
  status            channels, running agents, warnings
  groups            registered groups and chats seen but not registered; set a group's model
  tasks             scheduled tasks
  skills            installed skills: list, add (git URL or .tar.gz), update, remove
  chat              chat with the main group: one message per line of input
  token             print the admin token; --rotate makes a new one
  config            show, set or unset the settings the setup page makes
  backup            write a backup archive (tar.gz) of DATA_DIR
  restore FILE      replace DATA_DIR with a backup (the service must be stopped)
  mcp               MCP servers the host connects to for the agents, and their secrets

Run "pincer <command> --help" for a command's options.

${CONNECTION}`;

const COMMANDS: Record<string, string> = {
  status: `Usage: pincer status [--json]

Shows the assistant, its model credential, every channel's state, the agents running now
and start-up warnings.

${CONNECTION}`,
  groups: `Usage: pincer groups [--json]
       pincer groups set FOLDER [--model ID|default] [--effort LEVEL|default] [--json]

Lists the registered groups with their model and effort, then the chats the service has
seen that are not registered.

"set" changes a group's model (an id such as claude-sonnet-4-5 or an alias such as sonnet)
and reasoning effort (low, medium, high, xhigh, max); "default" goes back to MODEL and the
model's own effort. A running turn finishes on the old model; the next turn uses the new.

${CONNECTION}`,
  tasks: `Usage: pincer tasks [--json]

Lists the scheduled tasks of every group with their next and last run.

${CONNECTION}`,
  skills: `Usage: pincer skills [list] [--json]
       pincer skills add URL [--ref REF] [--subpath DIR] [--group FOLDER] [--json]
       pincer skills add FILE.tar.gz [--subpath DIR] [--group FOLDER] [--json]
       pincer skills update NAME [--json]
       pincer skills remove NAME [--json]

A skill is a folder with a SKILL.md (front matter with name and description). "add" installs
one from a git repository (pinned at the commit its branch, tag or commit names now; the
top of the repository, or --subpath) or from a local .tar.gz, for every group or for
--group FOLDER. "update" fetches a git skill again and moves its pin. Agents get a change
when they next start. "list" also shows the requests the main chat's agent filed; approve
them on the Skills page.

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
WHATSAPP_ENABLED, WHATSAPP_PHONE, EMAIL_IMAP_HOST, EMAIL_IMAP_PORT, EMAIL_SMTP_HOST,
EMAIL_SMTP_PORT, EMAIL_USER, EMAIL_PASSWORD, EMAIL_ADDRESS, EMAIL_OWNER, SIGNAL_CLI_URL,
SIGNAL_ACCOUNT, MATRIX_HOMESERVER_URL, MATRIX_ACCESS_TOKEN, MATRIX_ALLOWED_INVITERS, TZ,
ASSISTANT_NAME and MAIN_CHAT. A change applies at
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

COMMANDS.mcp = `Usage: pincer mcp <list|add|remove|test|approve|secret> [options]

  list                          the servers, their state and call counts
  add NAME URL [--transport http|sse] [--header "Name: value"]...
  add NAME [--env NAME=value]... -- COMMAND [ARGS...]
                                add a server (stdio when given a command); options:
      --group FOLDER            only for this group (default: every group)
      --allow TOOL,TOOL         offer only these tools (default: all)
  remove NAME                   remove a server
  test NAME                     connect now and list its tools
  approve NAME                  approve a server the main agent asked for
  secret list                   the secrets, masked, and which servers use them
  secret set NAME               set a secret; its value is read from standard input
  secret remove NAME            remove a secret

Header and env values may refer to secrets as \${NAME} (quote them: '\${TOKEN}'); the
host fills them in when it connects, so no agent ever sees them.

${CONNECTION}`;

export function usageOf(command: string | undefined): string {
  return (command && COMMANDS[command]) || OVERVIEW;
}
