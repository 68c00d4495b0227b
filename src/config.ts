// The service's whole configuration: one zod schema over the environment. An invalid
// value stops start-up with a message that names the variable and the expected form.
import { accessSync, constants, existsSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { parseDuration } from "./time/duration.ts";

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const optionalString = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value ? value : undefined));

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: "custom", message: `expected a duration such as 90s, 30m or 2h` });
        return z.NEVER;
      }
      return ms;
    });

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      // An empty variable is unset, not zero.
      if (value === undefined || value.trim() === "") return fallback;
      const parsed = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const url = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (!value) return undefined;
    try {
      const parsed = new URL(value);
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
      return value.replace(/\/+$/, "");
    } catch {
      ctx.addIssue({ code: "custom", message: "expected an http(s) URL" });
      return z.NEVER;
    }
  });

/** A number in international format, kept as "+<digits>" (how signal-cli names accounts). */
const phoneNumber = z
  .string()
  .optional()
  .transform((value) => {
    const digits = value?.replace(/[\s+()-]/g, "");
    return digits ? `+${digits}` : undefined;
  })
  .refine((value) => value === undefined || /^\+\d{7,15}$/.test(value), {
    message: "expected a phone number in international format, e.g. +15551234567",
  });

/** A comma- or space-separated list whose every item must match `pattern`. */
const list = (pattern: RegExp, example: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const items = (value ?? "").split(/[\s,]+/).filter(Boolean);
      const bad = items.find((item) => !pattern.test(item));
      if (bad) {
        ctx.addIssue({
          code: "custom",
          message: `"${bad}" is not valid; expected a list such as ${example}`,
        });
        return z.NEVER;
      }
      return items;
    });

const schema = z.object({
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_AUTH_TOKEN: optionalString,
  ANTHROPIC_BASE_URL: url,
  CLAUDE_CODE_OAUTH_TOKEN: optionalString,
  ASSISTANT_NAME: z
    .string()
    .default("Andy")
    .refine((value) => /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,31}$/u.test(value), {
      message: "expected a name of 1-32 letters, digits, spaces, '_', '.' or '-'",
    }),
  TZ: z
    .string()
    .default("UTC")
    .transform((value) => value || "UTC")
    .refine(isTimeZone, { message: "expected an IANA time zone such as UTC or Europe/Berlin" }),
  PORT: integer(3000, 0, 65535),
  HOST: z.string().default("0.0.0.0"),
  DATA_DIR: optionalString,
  MAX_CONCURRENT_AGENTS: integer(4, 1, 64),
  AGENT_IDLE_TIMEOUT: duration("30m"),
  /** How long an ask_user question waits for an answer before the agent gets "no answer". */
  ASK_USER_TIMEOUT: duration("10m"),
  SHUTDOWN_GRACE_SECONDS: integer(20, 0, 3600),
  ADMIN_TOKEN: z
    .string()
    .optional()
    .refine((value) => value === undefined || value === "" || value.length >= 16, {
      message: "expected at least 16 characters (or leave it unset to have one generated)",
    })
    .transform((value) => value || undefined),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  // Proxies in front of the service that append the client's address to X-Forwarded-For
  // (1 on Railway or Fly.io). Unset, the header is the client's own word and is ignored.
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim().toLowerCase() ?? "";
      if (text === "" || text === "false") return 0;
      if (text === "true") return 1;
      if (/^\d+$/.test(text) && Number(text) <= 10) return Number(text);
      ctx.addIssue({
        code: "custom",
        message:
          "expected how many proxies in front of Pincer add X-Forwarded-For: 0 to 10, or true (= 1)",
      });
      return z.NEVER;
    }),
  MODEL: optionalString,
  MODEL_MAX_RETRIES: integer(4, 0, 10),
  DAILY_BUDGET_USD: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return undefined;
      const usd = Number(value);
      if (!Number.isFinite(usd) || usd <= 0) {
        ctx.addIssue({
          code: "custom",
          message: "expected a positive amount of US dollars, e.g. 5 or 2.50",
        });
        return z.NEVER;
      }
      return usd;
    }),
  ACK_REACTION: z.string().default("👀"),
  // Replies shown as they are written (edited in place where the platform allows); a group's
  // own setting (PATCH /api/groups/:folder {"streaming": …}) wins.
  STREAMING: z.enum(["on", "off"], { error: 'expected "on" or "off"' }).default("on"),
  MAX_MESSAGE_CHARS: integer(32_000, 100, 1_000_000),
  CLAUDE_PATH: optionalString,
  MAX_ATTACHMENT_BYTES: integer(20_000_000, 0, 2_000_000_000),
  GROUP_DISK_QUOTA_MB: integer(1024, 0, 100_000_000),
  ATTACHMENT_RETENTION_DAYS: integer(90, 0, 36_500),
  CHROMIUM_PATH: z
    .string()
    .optional()
    .transform((value) => value?.trim() || "/usr/bin/chromium"),
  BROWSER_MAX_OPEN: integer(2, 0, 32),
  BROWSER_PAGE_TIMEOUT: duration("30s"),
  MCP_CALL_TIMEOUT: duration("60s"),
  MCP_MAX_RESULT_CHARS: integer(100_000, 1_000, 10_000_000),
  AGENT_ISOLATION: z.enum(["auto", "off"]).default("auto"),
  AGENT_UID_BASE: integer(30_000, 1_000, 4_000_000_000),
  AGENT_MAX_PROCESSES: integer(512, 16, 1_000_000),
  AGENT_MAX_OPEN_FILES: integer(4096, 64, 1_048_576),
  AGENT_MAX_FILE_MB: integer(1024, 1, 1_000_000),
  MAIN_CHAT: z
    .string()
    .optional()
    .refine(
      (value) =>
        !value || /^(telegram|discord|slack|whatsapp|signal|matrix|email):\S+$/.test(value),
      {
        message:
          "expected <channel>:<chat id>, e.g. telegram:123456 or whatsapp:15551234567@s.whatsapp.net",
      },
    )
    .transform((value) => value || undefined),
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: url,
  DISCORD_BOT_TOKEN: optionalString,
  DISCORD_API_URL: url,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: url,
  SLACK_FILES_URL: url,
  WHATSAPP_PHONE: z
    .string()
    .optional()
    .transform((value) => value?.replace(/[\s+()-]/g, "") || undefined)
    .refine((value) => value === undefined || /^\d{7,15}$/.test(value), {
      message: "expected a phone number in international format, e.g. +15551234567",
    }),
  WHATSAPP_ENABLED: z
    .enum(["", "0", "1", "true", "false"])
    .default("")
    .transform((v) => v === "1" || v === "true"),
  WHATSAPP_WS_URL: optionalString,
  SIGNAL_CLI_URL: url,
  SIGNAL_ACCOUNT: phoneNumber,
  MATRIX_HOMESERVER_URL: url,
  MATRIX_ACCESS_TOKEN: optionalString,
  EMAIL_IMAP_HOST: optionalString,
  EMAIL_IMAP_PORT: integer(993, 1, 65535),
  EMAIL_SMTP_HOST: optionalString,
  EMAIL_SMTP_PORT: integer(465, 1, 65535),
  EMAIL_USER: optionalString,
  EMAIL_PASSWORD: optionalString,
  EMAIL_ADDRESS: optionalString,
  EMAIL_FOLDER: z
    .string()
    .optional()
    .transform((value) => value?.trim() || "INBOX"),
  EMAIL_OWNER: list(/^[^@\s,]+@[^@\s,]+$/, "you@gmail.com,you@work.example"),
  EMAIL_TRUST_UNSIGNED: z
    .enum(["", "0", "1", "true", "false"])
    .default("")
    .transform((v) => v === "1" || v === "true"),
  EMAIL_INSECURE: z
    .enum(["", "0", "1", "true", "false"])
    .default("")
    .transform((v) => v === "1" || v === "true"),
  MATRIX_ALLOWED_INVITERS: list(/^@[^:\s]+:\S+$/, "@you:matrix.org,@partner:example.org"),
  TRANSCRIBE_URL: url,
  TRANSCRIBE_API_KEY: optionalString,
  TRANSCRIBE_MODEL: z
    .string()
    .optional()
    .transform((value) => value?.trim() || "whisper-1"),
  TRANSCRIBE_MAX_SECONDS: integer(600, 1, 86_400),
});

export type RawConfig = z.output<typeof schema>;

/** A variable of the schema, e.g. to validate one setting on its own. */
export type ConfigName = keyof RawConfig;

/**
 * One variable's value as the schema reads it (trimmed, defaulted, converted), or a
 * ConfigError naming the variable and the expected form.
 */
export function parseVariable<Name extends ConfigName>(
  name: Name,
  value: string | undefined,
): RawConfig[Name] {
  const result = schema.shape[name].safeParse(value);
  if (!result.success) {
    throw new ConfigError(`${name}: ${result.error.issues.map((i) => i.message).join("; ")}`);
  }
  return result.data as RawConfig[Name];
}

/** What is wrong with the model credential, or undefined when one is set. */
export function credentialProblemOf(
  raw: Pick<RawConfig, "ANTHROPIC_API_KEY" | "ANTHROPIC_AUTH_TOKEN">,
) {
  return raw.ANTHROPIC_API_KEY || raw.ANTHROPIC_AUTH_TOKEN
    ? undefined
    : "ANTHROPIC_API_KEY is not set: the assistant cannot reach Claude until it is (create a key at console.anthropic.com and paste it on the setup page, or set the variable).";
}

export interface Config extends Omit<RawConfig, "DATA_DIR"> {
  DATA_DIR: string;
  /** What is wrong with the model credentials, or undefined when a credential is set. */
  credentialProblem: string | undefined;
  warnings: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function defaultDataDir(): string {
  try {
    if (existsSync("/data")) {
      accessSync("/data", constants.W_OK);
      return "/data";
    }
  } catch {
    // not writable: fall through to ./data
  }
  return resolve("data");
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "environment"}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const raw = result.data;
  const warnings: string[] = [];
  if (raw.CLAUDE_CODE_OAUTH_TOKEN) {
    warnings.push(
      "CLAUDE_CODE_OAUTH_TOKEN is set but ignored: Anthropic's terms ask Agent SDK products to use API keys, not Claude subscription tokens. Set ANTHROPIC_API_KEY instead.",
    );
  }
  for (const [set, missing] of [
    ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"],
    ["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"],
  ] as const) {
    if (raw[set] && !raw[missing])
      warnings.push(`${set} is set but ${missing} is not: Slack needs both (Socket Mode).`);
  }
  if (raw.EMAIL_IMAP_HOST && !(raw.EMAIL_SMTP_HOST && raw.EMAIL_USER && raw.EMAIL_PASSWORD)) {
    warnings.push(
      "EMAIL_IMAP_HOST is set but EMAIL_SMTP_HOST, EMAIL_USER or EMAIL_PASSWORD is not: email stays off until all four are.",
    );
  }
  if ((raw.SIGNAL_CLI_URL && !raw.SIGNAL_ACCOUNT) || (!raw.SIGNAL_CLI_URL && raw.SIGNAL_ACCOUNT)) {
    warnings.push(
      "Signal needs both SIGNAL_CLI_URL and SIGNAL_ACCOUNT; it stays off until both are set.",
    );
  }
  if (raw.TRANSCRIBE_API_KEY && !raw.TRANSCRIBE_URL) {
    warnings.push(
      "TRANSCRIBE_API_KEY is set but TRANSCRIBE_URL is not: voice notes are not transcribed until it is (e.g. https://api.openai.com/v1).",
    );
  }
  return {
    ...raw,
    DATA_DIR: raw.DATA_DIR ? resolve(raw.DATA_DIR) : defaultDataDir(),
    credentialProblem: credentialProblemOf(raw),
    warnings,
  };
}
