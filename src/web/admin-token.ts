// The admin token guards the web UI and API. It comes from ADMIN_TOKEN or, when that is
// unset, is generated at first start and kept in DATA_DIR/admin-token (mode 0600).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { adminTokenFile } from "../data-layout.ts";
import { registerSecret } from "../log.ts";
import { safeEqual } from "../secrets.ts";

export function loadAdminToken(
  dataDir: string,
  configured: string | undefined,
): { token: string; generated: boolean } {
  if (configured) return { token: configured, generated: false };
  const file = adminTokenFile(dataDir);
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), generated: false };
  const token = newToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export class TokenFromEnvironmentError extends Error {
  constructor() {
    super(
      "ADMIN_TOKEN is set in the environment, so a rotated token would be replaced by it at the next start: change the variable instead",
    );
    this.name = "TokenFromEnvironmentError";
  }
}

/** The current admin token; rotating it replaces the file and ends every session. */
export class AdminToken {
  private current: string;
  private readonly dataDir: string;
  readonly fromEnvironment: boolean;

  constructor(token: string, options: { dataDir: string; fromEnvironment: boolean }) {
    this.current = token;
    this.dataDir = options.dataDir;
    this.fromEnvironment = options.fromEnvironment;
  }

  get value(): string {
    return this.current;
  }

  matches(candidate: string): boolean {
    return safeEqual(candidate, this.current);
  }

  /** Makes, saves and returns a new token. */
  rotate(): string {
    if (this.fromEnvironment) throw new TokenFromEnvironmentError();
    const token = newToken();
    const file = adminTokenFile(this.dataDir);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${token}\n`, { mode: 0o600 });
    renameSync(temporary, file);
    registerSecret(token);
    this.current = token;
    return token;
  }
}

/**
 * The addresses a browser can reach the service at: localhost, and when it listens on every
 * interface, this machine's LAN addresses too (what a phone on the same network opens).
 */
export function serviceUrls(
  host: string,
  port: number,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string[] {
  if (host !== "0.0.0.0" && host !== "::") {
    const name = host.includes(":") ? `[${host}]` : host;
    return [`http://${name}:${port}`];
  }
  const lan = Object.values(interfaces)
    .flat()
    .filter((address) => address && address.family === "IPv4" && !address.internal)
    .map((address) => `http://${address!.address}:${port}`);
  return [`http://localhost:${port}`, ...lan];
}

/**
 * What the console says about the admin token at start. The first start prints the new token
 * once, as a block with the URLs to open (the log line is marked `notice` for log-console.ts);
 * every later start says in one line where the token is, never the token.
 */
export function adminTokenNotice(options: {
  token: string;
  generated: boolean;
  fromEnvironment: boolean;
  dataDir: string;
  urls: string[];
}): { fields: { notice?: true }; text: string } {
  const file = adminTokenFile(options.dataDir);
  if (options.generated) {
    const [first, ...others] = options.urls;
    return {
      fields: { notice: true },
      text: [
        `Generated an admin token. Open ${first} and log in with:`,
        "",
        `    ${options.token}`,
        "",
        ...(others.length ? [`From a phone on the same network: ${others.join(" or ")}`] : []),
        `The token is kept in ${file}; \`pincer token\` prints it again.`,
      ].join("\n"),
    };
  }
  return {
    fields: {},
    text: options.fromEnvironment
      ? "The admin token is the ADMIN_TOKEN variable."
      : `The admin token is in ${file}: \`pincer token\` prints it.`,
  };
}
