// Schema history. Append a new entry for every change; never edit a shipped one.
export interface Migration {
  version: number;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    sql: `
      -- Every chat an adapter has seen, registered or not, so main can list and register it.
      CREATE TABLE chats (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        is_group INTEGER NOT NULL DEFAULT 0,
        last_message_at INTEGER,
        PRIMARY KEY (channel, chat_id)
      );

      CREATE TABLE groups (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        folder TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        trigger_word TEXT NOT NULL,
        requires_trigger INTEGER NOT NULL DEFAULT 1,
        is_main INTEGER NOT NULL DEFAULT 0,
        -- JSON array of sender ids allowed to trigger; NULL = everyone.
        allowed_senders TEXT,
        -- When set, messages from senders outside the allowlist are not even recorded.
        drop_others INTEGER NOT NULL DEFAULT 0,
        -- Highest messages.id whose turn has finished and whose replies are in the outbox.
        watermark INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        UNIQUE (channel, chat_id)
      );

      CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        -- Platform message id: set on arrival for inbound, on delivery for outbound.
        platform_id TEXT,
        thread_id TEXT,
        sender_id TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        text TEXT NOT NULL,
        reply_to TEXT,
        attachments TEXT,
        timestamp INTEGER NOT NULL,
        edited_at INTEGER,
        deleted INTEGER NOT NULL DEFAULT 0,
        -- The inbound message id up to which the turn that wrote this reply had read.
        turn_through INTEGER
      );
      CREATE UNIQUE INDEX messages_inbound_key ON messages (channel, chat_id, platform_id)
        WHERE direction = 'in';
      CREATE INDEX messages_chat ON messages (channel, chat_id, id);

      CREATE VIRTUAL TABLE messages_fts USING fts5 (text, content = 'messages', content_rowid = 'id');
      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
      END;

      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages (id),
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX outbox_pending ON outbox (status, next_attempt_at);

      CREATE TABLE agent_sessions (
        group_id INTEGER PRIMARY KEY REFERENCES groups (id),
        session_id TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      -- Model usage as the credential proxy saw it, one row per model response.
      CREATE TABLE usage (
        id INTEGER PRIMARY KEY,
        group_id INTEGER,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        at INTEGER NOT NULL
      );
      CREATE INDEX usage_group_at ON usage (group_id, at);
    `,
  },
  {
    version: 2,
    sql: `
      -- Scheduled tasks. Interval slots are anchor_at + k * every; next_run_at is NULL once
      -- a task can no longer run (cancelled, completed, missed).
      CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL REFERENCES groups (id),
        prompt TEXT NOT NULL,
        schedule_kind TEXT NOT NULL CHECK (schedule_kind IN ('cron', 'interval', 'once')),
        schedule_expr TEXT NOT NULL,
        schedule_timezone TEXT NOT NULL,
        anchor_at INTEGER NOT NULL,
        context_mode TEXT NOT NULL CHECK (context_mode IN ('group', 'isolated')),
        script TEXT,
        status TEXT NOT NULL
          CHECK (status IN ('active', 'paused', 'cancelled', 'completed', 'missed')),
        next_run_at INTEGER,
        last_run_at INTEGER,
        last_result TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX tasks_due ON tasks (status, next_run_at);
      CREATE INDEX tasks_group ON tasks (group_id);

      -- One row per slot that fired; the unique slot key makes a double fire an error, not a repeat.
      CREATE TABLE task_runs (
        id INTEGER PRIMARY KEY,
        task_id INTEGER NOT NULL REFERENCES tasks (id),
        scheduled_for INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        status TEXT NOT NULL
          CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'missed')),
        result TEXT,
        error TEXT,
        UNIQUE (task_id, scheduled_for)
      );
      CREATE INDEX task_runs_running ON task_runs (task_id) WHERE status = 'running';
    `,
  },
  {
    version: 3,
    sql: `
      -- The Unix user a group's agent runs as when the service is root (per-group isolation).
      ALTER TABLE groups ADD COLUMN agent_uid INTEGER;
      CREATE UNIQUE INDEX groups_agent_uid ON groups (agent_uid) WHERE agent_uid IS NOT NULL;
      -- Optional daily spend cap for one group, in US dollars; NULL = no cap of its own.
      ALTER TABLE groups ADD COLUMN daily_budget_usd REAL;

      -- Service-wide settings edited from the admin UI (e.g. the overall daily budget).
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    sql: `
      -- Every uid ever given to a group's agent, kept after the group is unregistered: a uid
      -- is never handed out twice, so a new group never owns an old group's files.
      CREATE TABLE agent_uids (
        uid INTEGER PRIMARY KEY,
        group_id INTEGER NOT NULL,
        folder TEXT NOT NULL,
        assigned_at INTEGER NOT NULL
      );
      INSERT INTO agent_uids (uid, group_id, folder, assigned_at)
        SELECT agent_uid, id, folder, created_at FROM groups WHERE agent_uid IS NOT NULL;
    `,
  },
  {
    version: 5,
    sql: `
      -- Browser sessions ended by logging out, until their cookie would have expired anyway:
      -- a copied cookie must not outlive the logout, nor come back after a restart.
      CREATE TABLE revoked_sessions (
        nonce TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 6,
    sql: `
      -- The platform marked an inbound message as addressed to the bot (a mention, a reply
      -- to it): it triggers like the typed trigger word, also when read back for a turn.
      ALTER TABLE messages ADD COLUMN mentions_bot INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    sql: `
      -- Values the owner enters for MCP servers (tokens, API keys), referenced as \${NAME} in a
      -- server's entry and filled in by the host when it connects: never in a group's files.
      CREATE TABLE host_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- MCP servers the host connects to on behalf of one group (group_folder) or of every
      -- group (NULL). entry is the server's .mcp.json entry as JSON; allowed_tools a JSON
      -- array of tool names, NULL = all. A pending server (asked for by an agent) does
      -- nothing until the owner approves it.
      CREATE TABLE mcp_servers (
        name TEXT PRIMARY KEY,
        group_folder TEXT,
        entry TEXT NOT NULL,
        allowed_tools TEXT,
        pending INTEGER NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        failed_calls INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- OAuth sign-in to a remote MCP server, all host-side: where the provider sends the
      -- owner back, the client registration, the tokens, and the PKCE verifier and state of
      -- a sign-in under way (the state is how the callback finds its server).
      CREATE TABLE mcp_oauth (
        server TEXT PRIMARY KEY,
        redirect_url TEXT NOT NULL,
        client TEXT,
        tokens TEXT,
        verifier TEXT,
        state TEXT UNIQUE,
        updated_at INTEGER NOT NULL
      );
      -- The Unix user a group's stdio MCP servers run as: not the agent's, so the agent
      -- cannot read their environment (uids come from agent_uids too, never reused).
      ALTER TABLE groups ADD COLUMN mcp_uid INTEGER;
    `,
  },
  {
    version: 8,
    sql: `
      -- The model and reasoning effort a group's agent uses; NULL = the service's default
      -- (MODEL, and the model's own default effort).
      ALTER TABLE groups ADD COLUMN model TEXT;
      ALTER TABLE groups ADD COLUMN effort TEXT;
    `,
  },
  {
    version: 9,
    sql: `
      -- Skills the main chat's agent asked the owner to install; nothing is fetched until the
      -- owner approves. target = the group's folder it is for, NULL = every group.
      CREATE TABLE skill_requests (
        id INTEGER PRIMARY KEY,
        requested_by INTEGER NOT NULL,
        url TEXT NOT NULL,
        ref TEXT,
        subpath TEXT,
        target TEXT,
        reason TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'installed', 'rejected', 'failed')),
        outcome TEXT,
        created_at INTEGER NOT NULL,
        decided_at INTEGER
      );
    `,
  },
  {
    version: 10,
    sql: `
      -- A file an agent sent (send_file), one per outbound message, whose text is the caption.
      -- The bytes are the host's copy taken at the call, DATA_DIR/store/outbound-files/<stored>,
      -- so what goes out (and what the web chat links to) is what the agent named then.
      CREATE TABLE outbound_files (
        message_id INTEGER PRIMARY KEY REFERENCES messages (id),
        name TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        stored TEXT NOT NULL
      );
      `,
  },
  {
    version: 11,
    sql: `
      -- A reply being written, shown early as a platform message that is edited as it grows.
      -- The row exists from before the message is sent until the final answer has replaced it
      -- (outbox_id: the outbox row that will); a row with no outbox row after a restart is a
      -- preview whose turn never finished, and its message is deleted.
      CREATE TABLE previews (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        platform_id TEXT,
        outbox_id INTEGER UNIQUE,
        created_at INTEGER NOT NULL
      );
      -- Per-group override of STREAMING: NULL = the service's setting, 0 = off, 1 = on.
      ALTER TABLE groups ADD COLUMN streaming INTEGER;
    `,
  },
  {
    version: 12,
    sql: `
      -- An inbound message that answered an ask_user question (the question's id): the agent
      -- got it as the tool's result, so it stays in the history but is never a prompt again.
      ALTER TABLE messages ADD COLUMN answers TEXT;
    `,
  },
  {
    version: 13,
    sql: `
      -- When the host's copy of a sent file was deleted: once delivered (or failed) for a
      -- platform that holds the file itself, after ATTACHMENT_RETENTION_DAYS for the web
      -- chat's, whose page downloads it. The row stays, so the history still says what was
      -- sent; NULL while the copy is kept.
      ALTER TABLE outbound_files ADD COLUMN removed_at INTEGER;
      -- Copies to chats other than the web chat were already deleted once settled.
      UPDATE outbound_files
        SET removed_at = (SELECT m.timestamp FROM messages m WHERE m.id = message_id)
        WHERE message_id IN
          (SELECT o.message_id FROM outbox o WHERE o.channel <> 'web' AND o.status <> 'pending');
    `,
  },
  {
    version: 14,
    sql: `
      -- Each platform id of an outbound message (a reply split in several has several; the
      -- messages row keeps them comma-joined), so "is this a reply to the bot?" is one index
      -- lookup instead of a scan of every reply the chat ever got.
      CREATE TABLE outbound_platform_ids (
        channel TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        platform_id TEXT NOT NULL,
        message_id INTEGER NOT NULL REFERENCES messages (id),
        PRIMARY KEY (channel, chat_id, platform_id, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX outbound_platform_ids_message ON outbound_platform_ids (message_id);
      WITH RECURSIVE parts (channel, chat_id, message_id, part, rest) AS (
        SELECT channel, chat_id, id, '', platform_id || ',' FROM messages
          WHERE direction = 'out' AND platform_id IS NOT NULL
        UNION ALL
        SELECT channel, chat_id, message_id, substr(rest, 1, instr(rest, ',') - 1),
            substr(rest, instr(rest, ',') + 1)
          FROM parts WHERE rest <> ''
      )
      INSERT OR IGNORE INTO outbound_platform_ids (channel, chat_id, platform_id, message_id)
        SELECT channel, chat_id, part, message_id FROM parts WHERE part <> '';
    `,
  },
];
