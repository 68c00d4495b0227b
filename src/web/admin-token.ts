// The admin token guards the web UI and API. It comes from ADMIN_TOKEN or, when that is
// unset, is generated at first start and kept in DATA_DIR/admin-token (mode 0600).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
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
