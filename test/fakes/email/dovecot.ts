// A real IMAP server for tests: Debian's Dovecot started as a plain foreground process (never
// the system service) with its own config in a temp dir: passwd-file users with plaintext
// passwords, maildirs in the temp dir, one listener on 127.0.0.1 at a free high port, and
// plaintext login allowed (loopback only, no TLS). Mail is delivered with IMAP APPEND through
// imapflow, the way another client would file it. `dovecotPath()` is undefined where Dovecot
// is not installed (apt-get install dovecot-imapd); tests skip then and say why.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ImapFlow } from "imapflow";

export interface DovecotUser {
  user: string;
  password: string;
}

export interface Dovecot {
  host: "127.0.0.1";
  port: number;
  /** Files a raw RFC 822 message into the user's folder (INBOX by default); resolves with its UID. */
  deliver(
    user: DovecotUser,
    raw: string,
    options?: { folder?: string; seen?: boolean },
  ): Promise<number>;
  /** The flags of the message with this UID, as the server holds them. */
  flags(user: DovecotUser, uid: number, folder?: string): Promise<string[]>;
  /** Disconnects every IMAP client, as a server restart would (doveadm kick). */
  dropConnections(): Promise<void>;
  /** Dovecot's own log, for a failing test's message. */
  log(): Promise<string>;
  close(): Promise<void>;
}

const CANDIDATES = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"];

export function dovecotPath(): string | undefined {
  return CANDIDATES.find((path) => existsSync(path));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Dovecot refuses to give mail to uid 0; as root the mailboxes belong to `nobody`. */
function mailOwner(): { uid: number; gid: number; internal: string; login: string } {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, internal: me.username, login: me.username };
  return { uid: 65534, gid: 65534, internal: "dovecot", login: "dovenull" };
}

function config(dir: string, port: number, owner: ReturnType<typeof mailOwner>): string {
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = ${owner.internal}
default_login_user = ${owner.login}
first_valid_uid = ${owner.uid}
last_valid_uid = 0
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${owner.uid} gid=${owner.gid} home=${dir}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`;
}

export async function startDovecot(users: DovecotUser[]): Promise<Dovecot> {
  const binary = dovecotPath();
  if (!binary) throw new Error("Dovecot is not installed (apt-get install dovecot-imapd)");
  const dir = await mkdtemp(join(tmpdir(), "pincer-dovecot-"));
  // Dovecot's unprivileged processes must reach the mailboxes under the temp dir.
  await chmod(dir, 0o755);
  const owner = mailOwner();
  await mkdir(join(dir, "mail"));
  await chown(join(dir, "mail"), owner.uid, owner.gid);
  await writeFile(
    join(dir, "passwd"),
    users.map(({ user, password }) => `${user}:{PLAIN}${password}::::::\n`).join(""),
  );
  const port = await freePort();
  const configPath = join(dir, "dovecot.conf");
  await writeFile(configPath, config(dir, port, owner));
  const child: ChildProcess = spawn(binary, ["-F", "-c", configPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = async () =>
    `${stderr}${await readFile(join(dir, "dovecot.log"), "utf8").catch(() => "")}`;
  // Dovecot opens its listener a moment after it starts; a refused connection means not yet.
  let alive = true;
  void exited.then(() => (alive = false));
  while (!(await accepts(port))) {
    if (!alive) {
      const text = await log();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`Dovecot exited at start:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const client = async (user: DovecotUser) => {
    const imap = new ImapFlow({
      host: "127.0.0.1",
      port,
      secure: false,
      auth: { user: user.user, pass: user.password },
      logger: false,
    });
    await imap.connect();
    return imap;
  };

  return {
    host: "127.0.0.1",
    port,
    async deliver(user, raw, options = {}) {
      const imap = await client(user);
      try {
        const folder = options.folder ?? "INBOX";
        if (folder !== "INBOX") await imap.mailboxCreate(folder).catch(() => undefined);
        const appended = await imap.append(folder, raw, options.seen ? ["\\Seen"] : []);
        if (!appended || !appended.uid) throw new Error("Dovecot did not report the UID");
        return appended.uid;
      } finally {
        await imap.logout();
      }
    },
    async flags(user, uid, folder = "INBOX") {
      const imap = await client(user);
      try {
        const lock = await imap.getMailboxLock(folder);
        try {
          const message = await imap.fetchOne(String(uid), { flags: true }, { uid: true });
          return message ? [...(message.flags ?? [])] : [];
        } finally {
          lock.release();
        }
      } finally {
        await imap.logout();
      }
    },
    async dropConnections() {
      const doveadm = join(binary, "..", "..", "bin", "doveadm");
      await new Promise<void>((resolve, reject) => {
        const kick = spawn(doveadm, ["-c", configPath, "kick", "*"], { stdio: "ignore" });
        kick.once("error", reject);
        kick.once("exit", () => resolve());
      });
    },
    log,
    async close() {
      if (alive) {
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
